// Pieces every page shares: the html tag, error boxes, stream hooks, charts, node lookups.

import { h } from "./vendor/preact.module.js";
import { useEffect, useRef, useState } from "./vendor/hooks.module.js";
import htm from "./vendor/htm.module.js";
import { call, describeError, stream } from "./api.js";

export const html = htm.bind(h);

/** An API error shown in words where it happened (nothing when there is none). */
export function ErrorBox({ error, label }) {
  if (!error) return null;
  return html`<p class="error" role="alert" data-testid=${label ?? "error"}>${describeError(error)}</p>`;
}

/** Follow a stream while the component is shown; reopened when `key` changes. */
export function useStream(url, { method, body, onMessage, key = url, enabled = true }) {
  const [error, setError] = useState(null);
  const [open, setOpen] = useState(false);
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    setError(null);
    setOpen(false);
    if (!enabled || !url) return undefined;
    return stream(url, {
      method,
      body,
      onOpen: () => setOpen(true),
      onMessage: (message) => handler.current(message),
      onError: (failure) => { setOpen(false); setError(failure); },
      onEnd: () => setOpen(false),
    });
  }, [key, enabled]);
  return { error, open };
}

/** A unary GET whose result is kept in state; `reload` asks again. */
export function useCall(url, deps = [url]) {
  const [state, setState] = useState({ value: null, error: null, loading: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    call("GET", url).then(
      (value) => live && setState({ value, error: null, loading: false }),
      (error) => live && setState({ value: null, error, loading: false }),
    );
    return () => { live = false; };
  }, [...deps, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

/** The id of the node serving this dashboard. */
let localNodePromise = null;
export function localNode() {
  localNodePromise ??= call("GET", "/v1/hub-client/local-node-id").catch((error) => {
    localNodePromise = null;
    throw error;
  });
  return localNodePromise;
}

export function useLocalNode() {
  const [local, setLocal] = useState(null);
  useEffect(() => { localNode().then(setLocal, () => setLocal({ nodeId: "" })); }, []);
  return local;
}

/** A metadata item's value as text. */
export function itemText(item) {
  if (!item) return "";
  for (const [key, value] of Object.entries(item)) {
    if (key.endsWith("Value")) return String(value);
  }
  return "";
}

export function itemType(item) {
  const key = Object.keys(item ?? {}).find((k) => k.endsWith("Value"));
  return key ? key.replace(/Value$/, "") : "string";
}

export function shortId(id) {
  return id ? id.slice(0, 8) : "";
}

/** A number in at most four characters and a suffix (k, M, G), for chart axes. */
export function compact(value) {
  if (value === null || !Number.isFinite(value)) return "";
  const size = Math.abs(value);
  if (size >= 1e9) return `${+(value / 1e9).toFixed(2)}G`;
  if (size >= 1e6) return `${+(value / 1e6).toFixed(2)}M`;
  if (size >= 1e3) return `${+(value / 1e3).toFixed(2)}k`;
  return `${+value.toFixed(2)}`;
}

export function formatRate(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value >= 10 ? value.toFixed(0) : value.toFixed(1);
}

/** A uPlot line chart of `series` ({label, values}) against `times` (seconds). */
export function Chart({ title, times, series, unit = "" }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    let gone = false;
    // Loaded on first use: pages without charts (the Nodes list) do not pay for the library.
    import("./vendor/uPlot.esm.js").then(({ default: uPlot }) => {
      if (!gone) plot.current = makePlot(uPlot, box.current, title, unit, series, times);
    });
    return () => {
      gone = true;
      if (plot.current) plot.current.destroy();
      plot.current = null;
    };
  }, [series.length, title]);
  useEffect(() => {
    if (plot.current) plot.current.setData([times, ...series.map((s) => s.values)]);
  });
  return html`<figure class="chart" ref=${box} data-testid="chart" aria-label=${title}></figure>`;
}

function makePlot(uPlot, box, title, unit, series, times) {
    const width = Math.max(240, Math.min(560, box.clientWidth || 480));
    const dark = matchMedia("(prefers-color-scheme: dark)").matches
      || document.documentElement.dataset.theme === "dark";
    const colors = ["#2f7de1", "#e1612f", "#2fa86b", "#a04fd1", "#c9a227", "#d14f7e"];
    return new uPlot({
      width, height: 160, title,
      axes: [
      { stroke: dark ? "#ccc" : "#333" },
      { stroke: dark ? "#ccc" : "#333", label: unit, size: 56, values: (_, ticks) => ticks.map(compact) },
    ],
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: colors[i % colors.length], width: 2 }))],
    }, [times, ...series.map((s) => s.values)], box);
}

/** Keep the last `limit` items of a list. */
export function bounded(list, item, limit) {
  const next = [...list, item];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** Level names of log entries, most verbose first. */
export const LEVELS = ["STATE", "DEBUG", "INFO", "WARNING", "ERROR", "FATAL"];

/** A log tail: entries ({timestamp, level, message}) newest at the bottom. */
export function LogView({ entries, label }) {
  const box = useRef(null);
  useEffect(() => {
    if (box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [entries.length]);
  return html`<div class="log" ref=${box} tabindex="0" aria-label=${label} data-testid="log">
    ${entries.length === 0 ? html`<p class="muted">No log lines yet.</p>` : null}
    ${entries.map((e) => html`<div class=${"line level-" + (e.level ?? "STATE")}>
      <time>${(e.timestamp ?? "").replace("T", " ").replace(/\.\d+Z$/, "Z")}</time>
      <span class="level">${e.level ?? "STATE"}</span> ${e.message}</div>`)}
  </div>`;
}
