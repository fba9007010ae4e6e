// Pipelines of a node (live list, create from a template or JSON, start/stop, copy) and one
// pipeline's page (diagram with live rates, telemetry charts, live log, run history, config).

import { useEffect, useMemo, useState } from "./vendor/hooks.module.js";
import { call, metricInfo, metricValue, path } from "./api.js";
import { Diagram, updateBody } from "./diagram.js";
import { TEMPLATES, components, errorLocation } from "./pipeline-model.js";
import {
  Chart, ErrorBox, LogView, bounded, html, formatRate, shortId, useCall, useStream,
} from "./ui.js";

const SAMPLES = 90;
// The per-component chart: what enters, leaves and is lost (the table holds the rest).
const CHARTED = ["packets_in/s", "packets_out/s", "packets_dropped/s"];

/** Apply one streamPipelines event to the pipeline map. */
export function applyPipelineEvent(pipelines, event) {
  const next = new Map(pipelines);
  if (event.create) next.set(event.create.pipeline.id, event.create.pipeline);
  else if (event.update) next.set(event.update.pipeline.id, event.update.pipeline);
  else if (event.delete) next.delete(event.delete.pipeline.id);
  return next;
}

/** getPipelines, then kept live by streamPipelines (opened first, so no change is missed). */
function usePipelines(nodeId) {
  const [pipelines, setPipelines] = useState(new Map());
  const [error, setError] = useState(null);
  const [ready, setReady] = useState(false);
  const live = useStream(path`/v1/streams/nodes/${nodeId}/pipelines`, {
    onMessage: (event) => setPipelines((current) => applyPipelineEvent(current, event)),
  });
  useEffect(() => {
    if (!live.open) return;
    call("GET", path`/v1/nodes/${nodeId}/pipelines`).then((reply) => {
      setPipelines((current) => {
        const next = new Map((reply.pipelines ?? []).map((p) => [p.id, p]));
        for (const [id, p] of current) next.set(id, p); // events seen meanwhile are newer
        return next;
      });
      setReady(true);
    }, setError);
  }, [live.open, nodeId]);
  return { pipelines, error: error ?? live.error, ready };
}

/** Runs this browser saw a pipeline start, newest first (the API keeps no run list). */
function rememberRun(nodeId, pipeline) {
  if (!pipeline.currentRun) return;
  const key = `np-runs:${nodeId}:${pipeline.id}`;
  const runs = JSON.parse(localStorage.getItem(key) ?? "[]");
  if (runs.some((r) => r.id === pipeline.currentRun)) return;
  runs.unshift({ id: pipeline.currentRun, seen: new Date().toISOString() });
  localStorage.setItem(key, JSON.stringify(runs.slice(0, 50)));
}

function knownRuns(nodeId, pipelineId) {
  return JSON.parse(localStorage.getItem(`np-runs:${nodeId}:${pipelineId}`) ?? "[]");
}

async function act(verb, url, setError, body) {
  setError(null);
  try {
    return await call(verb, url, body);
  } catch (failure) {
    setError(failure);
    return null;
  }
}

export function PipelinesPage({ nodeId }) {
  const node = useCall(path`/v1/nodes/${nodeId}`);
  const { pipelines, error, ready } = usePipelines(nodeId);
  const [actionError, setActionError] = useState(null);
  const list = [...pipelines.values()].sort((a, b) => a.name.localeCompare(b.name));
  list.forEach((p) => rememberRun(nodeId, p));
  const nodeName = node.value?.node?.name ?? shortId(nodeId);
  return html`<section aria-labelledby="pipelines-title">
    <h1 id="pipelines-title">Pipelines of ${nodeName}</h1>
    <p><a href=${"#/nodes/" + encodeURIComponent(nodeId)}>Node details →</a>
      · <a class="button" href=${"#/nodes/" + encodeURIComponent(nodeId) + "/editor"}>New in the diagram editor</a></p>
    <${ErrorBox} error=${error} label="pipelines-error" />
    <${ErrorBox} error=${actionError} label="pipeline-action-error" />
    ${ready && list.length === 0 ? html`<p>No pipelines on this node yet.</p>` : null}
    <table class="list" data-testid="pipelines-table">
      <thead><tr><th>Name</th><th>State</th><th>Run</th><th></th></tr></thead>
      <tbody>${list.map((p) => html`<${PipelineRow} key=${p.id} nodeId=${nodeId} pipeline=${p} setError=${setActionError} />`)}</tbody>
    </table>
    <${CreateForm} nodeId=${nodeId} />
  </section>`;
}

function PipelineRow({ nodeId, pipeline, setError }) {
  const base = path`/v1/nodes/${nodeId}/pipelines/${pipeline.id}`;
  const remove = () => confirm(`Delete pipeline ${pipeline.name}?`) && act("DELETE", base, setError);
  return html`<tr data-testid="pipeline-row" data-pipeline=${pipeline.name}>
    <td><a href=${`#/nodes/${encodeURIComponent(nodeId)}/pipelines/${encodeURIComponent(pipeline.id)}`}>${pipeline.name}</a></td>
    <td><span class=${pipeline.started ? "badge ok" : "badge off"} data-testid="pipeline-state">${pipeline.started ? "running" : "stopped"}</span>
      ${pipeline.configCompatability === "INCOMPATIBLE" ? html` <span class="badge warn">incompatible config</span>` : null}</td>
    <td class="mono">${shortId(pipeline.currentRun)}</td>
    <td class="actions">
      ${pipeline.started
        ? html`<button onClick=${() => act("POST", `${base}/stop`, setError)} data-testid="stop">Stop</button>`
        : html`<button class="primary" onClick=${() => act("POST", `${base}/start`, setError)} data-testid="start">Start</button>`}
      <button class="danger" onClick=${remove}>Delete</button>
    </td>
  </tr>`;
}

function CreateForm({ nodeId }) {
  const names = Object.keys(TEMPLATES);
  const [name, setName] = useState("");
  const [text, setText] = useState(JSON.stringify(TEMPLATES[names[0]], null, 2));
  const [error, setError] = useState(null);
  const [created, setCreated] = useState("");
  const preview = useMemo(() => previewComponents(text), [text]);
  const at = error ? errorLocation(error.message) : null;
  const create = async (event) => {
    event.preventDefault();
    setCreated("");
    const reply = await act("POST", path`/v1/nodes/${nodeId}/pipelines`, setError, { name, jsonConfig: text });
    if (reply) setCreated(reply.pipeline.name);
  };
  return html`<form class="panel" onSubmit=${create} data-testid="create-form">
    <h2>Create a pipeline</h2>
    <label>Name <input value=${name} onInput=${(e) => setName(e.target.value)} required data-testid="create-name" /></label>
    <label>Template <select data-testid="template" onChange=${(e) => {
      setText(JSON.stringify(TEMPLATES[e.target.value], null, 2));
      setError(null);
    }}>${names.map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
    <label>JSON config <textarea rows="14" value=${text} spellcheck="false" data-testid="create-json"
      onInput=${(e) => setText(e.target.value)}></textarea></label>
    <${ErrorBox} error=${at ? null : error} label="create-error" />
    ${preview.error ? html`<p class="muted">${preview.error}</p>` : html`<ul class="components" aria-label="components">
      ${preview.list.map((c) => html`<li data-testid="config-component" data-component=${c.id}
        class=${at && at.component === c.id ? "failing" : ""}>
        <strong>${c.id}</strong> <span class="muted">${c.type}</span>
        ${at && at.component === c.id ? html`<p class="error" role="alert" data-testid="component-error">
          Key <code>${at.key}</code>: ${at.message}</p>` : null}
      </li>`)}</ul>`}
    <button class="primary" data-testid="create">Create</button>
    ${created ? html`<span role="status" class="ok-text">Created ${created}.</span>` : null}
  </form>`;
}

function previewComponents(text) {
  try {
    return { list: components(JSON.parse(text)), error: null };
  } catch (failure) {
    return { list: [], error: `Preview unavailable: ${failure.message}` };
  }
}

export function PipelinePage({ nodeId, pipelineId }) {
  const { pipelines, error } = usePipelines(nodeId);
  const pipeline = pipelines.get(pipelineId);
  const [actionError, setActionError] = useState(null);
  if (pipeline) rememberRun(nodeId, pipeline);
  const base = path`/v1/nodes/${nodeId}/pipelines/${pipelineId}`;
  const document = useMemo(() => {
    try { return pipeline ? JSON.parse(pipeline.jsonConfig) : null; } catch { return null; }
  }, [pipeline?.jsonConfig]);
  const telemetry = useTelemetry(nodeId, pipeline?.currentRun);
  if (!pipeline) {
    return html`<section><h1>Pipeline</h1><${ErrorBox} error=${error} /><p>Loading…</p></section>`;
  }
  return html`<section aria-labelledby="pipeline-title">
    <h1 id="pipeline-title">${pipeline.name}</h1>
    <p><a href=${"#/nodes/" + encodeURIComponent(nodeId) + "/pipelines"}>← Pipelines of this node</a></p>
    <div class="toolbar">
      <span class=${pipeline.started ? "badge ok" : "badge off"} data-testid="pipeline-state">${pipeline.started ? "running" : "stopped"}</span>
      ${pipeline.started
        ? html`<button onClick=${() => act("POST", `${base}/stop`, setActionError)} data-testid="stop">Stop</button>`
        : html`<button class="primary" onClick=${() => act("POST", `${base}/start`, setActionError)} data-testid="start">Start</button>`}
      <a class="button" href=${`#/nodes/${encodeURIComponent(nodeId)}/editor/${encodeURIComponent(pipelineId)}`}>Edit in diagram</a>
      <${CopyTo} pipeline=${pipeline} setError=${setActionError} />
    </div>
    <${ErrorBox} error=${actionError} label="pipeline-action-error" />
    <${ErrorBox} error=${error} />
    <div class="panel"><h2>Diagram</h2>
      ${document ? html`<${Diagram} document=${document} rates=${telemetry.rates} />` : html`<p>The config is not readable JSON.</p>`}
    </div>
    <${Telemetry} telemetry=${telemetry} running=${pipeline.started} />
    ${pipeline.currentRun ? html`<${RunLog} nodeId=${nodeId} runId=${pipeline.currentRun} />` : null}
    <${RunHistory} nodeId=${nodeId} pipeline=${pipeline} />
    <${ConfigEditor} nodeId=${nodeId} pipeline=${pipeline} />
  </section>`;
}

/** Telemetry of a run: per component the packet rates and every numeric metric over time. */
function useTelemetry(nodeId, runId) {
  const empty = { times: [], last: null, rates: {}, series: {}, kpis: [] };
  const [state, setState] = useState(empty);
  useEffect(() => setState(empty), [runId]);
  const live = useStream(runId ? path`/v1/streams/nodes/${nodeId}/pipeline-runs/${runId}/telemetry` : null, {
    enabled: Boolean(runId),
    onMessage: (sample) => setState((s) => addTelemetry(s, sample)),
  });
  return { ...state, error: live.error, open: live.open };
}

function addTelemetry(state, sample) {
  const time = Date.parse(sample.timestamp ?? new Date().toISOString()) / 1000;
  const counters = {};
  for (const collection of sample.metricCollections ?? []) {
    const id = collection.path.replace(/^\/components\//, "");
    counters[id] = {};
    for (const [name, metric] of Object.entries(collection.metrics ?? {})) {
      const value = metricValue(metric);
      if (value !== null) counters[id][name] = { value, counter: metricInfo(metric).counter };
    }
  }
  const rates = {};
  const series = { ...state.series };
  const dt = state.last ? time - state.last.time : 0;
  for (const [id, metrics] of Object.entries(counters)) {
    const before = state.last?.counters[id] ?? {};
    const rate = (name) => (dt > 0 && before[name] && metrics[name] ? (metrics[name].value - before[name].value) / dt : null);
    rates[id] = { in: rate("packets_in"), out: rate("packets_out") };
    for (const [name, m] of Object.entries(metrics)) {
      const value = m.counter ? rate(name) : m.value;
      const key = `${id}|${name}${m.counter ? "/s" : ""}`;
      series[key] = bounded(series[key] ?? new Array(state.times.length).fill(null), value, SAMPLES);
    }
  }
  return {
    times: bounded(state.times, time, SAMPLES),
    last: { time, counters },
    rates: dt > 0 ? rates : state.rates,
    series,
    kpis: sample.kpis ?? [],
    samples: (state.samples ?? 0) + 1,
  };
}

function Telemetry({ telemetry, running }) {
  const byComponent = {};
  for (const [key, values] of Object.entries(telemetry.series)) {
    const [id, name] = key.split("|");
    (byComponent[id] ??= []).push({ label: name, values });
  }
  return html`<div class="panel" data-testid="telemetry">
    <h2>Telemetry</h2>
    ${!running ? html`<p class="muted">Telemetry flows while a run lives.</p>` : null}
    ${running && telemetry.error ? html`<${ErrorBox} error=${telemetry.error} label="telemetry-error" />` : null}
    <p class="muted" data-testid="telemetry-samples">${telemetry.samples ?? 0} samples</p>
    <table class="list compact" data-testid="rates"><thead><tr><th>Component</th><th>in pkt/s</th><th>out pkt/s</th></tr></thead>
      <tbody>${Object.entries(telemetry.rates).map(([id, r]) => html`<tr data-component=${id}>
        <td>${id}</td><td>${formatRate(r.in)}</td><td>${formatRate(r.out)}</td></tr>`)}</tbody></table>
    <div class="charts">${Object.entries(byComponent).map(([id, series]) => html`<${Chart} key=${id} title=${id}
      times=${telemetry.times} series=${series.filter((s) => CHARTED.includes(s.label))} unit="pkt/s" />`)}</div>
    ${telemetry.kpis.length ? html`<h3>KPIs</h3><dl class="facts" data-testid="kpis">${telemetry.kpis.map((k) => html`<dt>${k.id}</dt><dd>${kpiText(k)}</dd>`)}</dl>` : null}
  </div>`;
}

/** A KPI's value, or why it has none, as text. */
function kpiText(kpi) {
  if (kpi.error) return `error: ${kpi.error}`;
  if (kpi.unresolved) return `unresolved: ${kpi.unresolved}`;
  if (kpi.noneValue) return "no value";
  const key = Object.keys(kpi).find((k) => k.endsWith("Value"));
  if (!key) return "0";
  const value = kpi[key];
  return typeof value === "number" && !Number.isInteger(value) ? value.toFixed(3) : String(value);
}

function RunLog({ nodeId, runId }) {
  const [entries, setEntries] = useState([]);
  useEffect(() => setEntries([]), [runId]);
  const { error } = useStream(`${path`/v1/streams/nodes/${nodeId}/pipeline-runs/${runId}/logs`}?options.lines=200`, {
    onMessage: (batch) => setEntries((list) => [...list, ...(batch.messages ?? [])].slice(-500)),
  });
  return html`<div class="panel"><h2>Live log <small class="mono">${shortId(runId)}</small></h2>
    <${ErrorBox} error=${error} label="runlog-error" />
    <${LogView} entries=${entries} label="run log" />
  </div>`;
}

function RunHistory({ nodeId, pipeline }) {
  const runs = knownRuns(nodeId, pipeline.id);
  const [shown, setShown] = useState(null);
  return html`<div class="panel" data-testid="run-history"><h2>Run history</h2>
    <p class="muted">Runs this browser saw start (the API lists only the current run).</p>
    <ul>${runs.map((run) => html`<li>
      <button class="link" onClick=${() => setShown(run.id)}>${run.id}</button>
      <span class="muted"> seen ${run.seen.replace("T", " ").slice(0, 19)}</span>
      ${run.id === pipeline.currentRun ? html` <span class="badge ok">current</span>` : null}</li>`)}</ul>
    ${shown && shown !== pipeline.currentRun ? html`<${RunLog} nodeId=${nodeId} runId=${shown} />` : null}
  </div>`;
}

function ConfigEditor({ nodeId, pipeline }) {
  const [text, setText] = useState(pipeline.jsonConfig);
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => setText(pipeline.jsonConfig), [pipeline.jsonConfig]);
  const save = async (event) => {
    event.preventDefault();
    setSaved(false);
    const reply = await act("PUT", path`/v1/nodes/${nodeId}/pipelines/${pipeline.id}`, setError,
      updateBody(pipeline, { jsonConfig: text }));
    if (reply) setSaved(true);
  };
  return html`<details class="panel"><summary>JSON config</summary><form onSubmit=${save}>
    <textarea rows="16" value=${text} spellcheck="false" onInput=${(e) => setText(e.target.value)} aria-label="JSON config"></textarea>
    <${ErrorBox} error=${error} />
    <button class="primary">Save config</button> ${saved ? html`<span role="status">Saved.</span>` : null}
  </form></details>`;
}

function CopyTo({ pipeline, setError }) {
  const nodes = useCall("/v1/nodes");
  const [target, setTarget] = useState("");
  const [done, setDone] = useState("");
  const choices = (nodes.value?.nodes ?? []).filter((n) => (n.services ?? []).includes("PIPELINES"));
  const copyIt = async () => {
    setDone("");
    const to = target || choices[0]?.id;
    if (!to) return;
    const body = updateBody(pipeline, {});
    delete body.nodeReferenceId;
    const reply = await act("POST", path`/v1/nodes/${to}/pipelines`, setError, body);
    if (reply) setDone(`Copied to ${choices.find((n) => n.id === to)?.name ?? to}.`);
  };
  if (nodes.error) return html`<span class="muted">Copy: ${nodes.error.message}</span>`;
  return html`<span class="copy">
    <label>Copy to <select value=${target || choices[0]?.id} onChange=${(e) => setTarget(e.target.value)} data-testid="copy-target">
      ${choices.map((n) => html`<option value=${n.id}>${n.name || n.id}</option>`)}</select></label>
    <button onClick=${copyIt} data-testid="copy">Copy</button>
    ${done ? html`<span role="status">${done}</span>` : null}
  </span>`;
}
