// One node: details, rename and metadata, the hub connection (for the node serving the
// dashboard), resource charts, flows and the application log tail.

import { useState } from "./vendor/hooks.module.js";
import { call, metricInfo, metricValue, path } from "./api.js";
import { applyNodesMessage } from "./nodes.js";
import {
  Chart, ErrorBox, LogView, bounded, compact, html, itemText, itemType, useCall, useLocalNode, useStream,
} from "./ui.js";

const HISTORY = 120;

export function NodePage({ nodeId }) {
  const reply = useCall(path`/v1/nodes/${nodeId}`);
  const local = useLocalNode();
  const [live, setLive] = useState(null);
  const [linkState, setLinkState] = useState("");
  // Kept current by the hub's node stream; a node outside any cluster has none (getNode stays),
  // so the stream is opened again when this dashboard's own node joins or leaves.
  useStream("/v1/streams/nodes", {
    key: `nodes ${linkState}`,
    onMessage: (message) => {
      const found = applyNodesMessage(new Map(), message).get(nodeId)
        ?? Object.values(message.updateResponse ?? {}).find((n) => n.id === nodeId);
      if (found) setLive(found);
    },
  });
  const node = live ?? reply.value?.node;
  return html`<section aria-labelledby="node-title">
    <h1 id="node-title">${node?.name || "Node"}</h1>
    <p><a href=${"#/nodes/" + encodeURIComponent(nodeId) + "/pipelines"}>Pipelines of this node →</a></p>
    <${ErrorBox} error=${reply.error} label="node-error" />
    ${node ? html`<${NodeDetails} key=${node.id} node=${node} onSaved=${reply.reload} />` : null}
    ${local && local.nodeId === nodeId ? html`<${HubConnection} local=${local} onState=${setLinkState} />` : html`<p class="muted">
      Joining a hub or leaving it is done from that node's own dashboard (the API joins only the node serving it).</p>`}
    <${Resources} nodeId=${nodeId} />
    <${Flows} nodeId=${nodeId} />
    <${AppLog} nodeId=${nodeId} />
  </section>`;
}

function NodeDetails({ node, onSaved }) {
  const [name, setName] = useState(node.name);
  const [rows, setRows] = useState(Object.entries(node.metadata?.items ?? {})
    .map(([key, item]) => ({ key, type: itemType(item), value: itemText(item) })));
  const [error, setError] = useState(null);
  const [saved, setSaved] = useState(false);
  const save = async (event) => {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const items = {};
      for (const row of rows.filter((r) => r.key.trim())) items[row.key.trim()] = typedItem(row);
      await call("PUT", path`/v1/nodes/${node.id}`, { name, metadata: { items } });
      setSaved(true);
      onSaved();
    } catch (failure) {
      setError(failure);
    }
  };
  const edit = (i, field, value) => setRows(rows.map((r, j) => (j === i ? { ...r, [field]: value } : r)));
  return html`<div class="panel">
    <h2>Details</h2>
    <dl class="facts">
      <dt>Id</dt><dd class="mono" data-testid="node-id">${node.id}</dd>
      <dt>State</dt><dd data-testid="node-online">${node.online ? "online" : "offline"}</dd>
      <dt>Services</dt><dd>${(node.services ?? []).join(", ") || "none"}</dd>
    </dl>
    <form onSubmit=${save} data-testid="node-form">
      <label>Name <input value=${name} onInput=${(e) => setName(e.target.value)} required /></label>
      <fieldset><legend>Metadata</legend>
        ${rows.map((row, i) => html`<div class="row">
          <input aria-label="key" value=${row.key} onInput=${(e) => edit(i, "key", e.target.value)} />
          <select aria-label="type" value=${row.type} onChange=${(e) => edit(i, "type", e.target.value)}>
            ${["string", "int", "uint", "double", "bool"].map((t) => html`<option>${t}</option>`)}
          </select>
          <input aria-label="value" value=${row.value} onInput=${(e) => edit(i, "value", e.target.value)} />
          <button type="button" onClick=${() => setRows(rows.filter((_, j) => j !== i))}>Remove</button>
        </div>`)}
        <button type="button" onClick=${() => setRows([...rows, { key: "", type: "string", value: "" }])}>Add metadata</button>
      </fieldset>
      <button class="primary">Save name and metadata</button>
      ${saved ? html`<span class="ok-text" role="status">Saved.</span>` : null}
      <${ErrorBox} error=${error} label="node-save-error" />
    </form>
  </div>`;
}

function typedItem(row) {
  switch (row.type) {
    case "int": return { intValue: row.value };
    case "uint": return { uintValue: row.value };
    case "double": return { doubleValue: Number(row.value) };
    case "bool": return { boolValue: row.value === "true" };
    default: return { stringValue: row.value };
  }
}

function HubConnection({ onState }) {
  const [state, setState] = useState(null);
  const [address, setAddress] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [note, setNote] = useState("");
  const stream = useStream("/v1/streams/hub-client/connection-state", {
    onMessage: (message) => {
      setState(message.state ?? "UNAUTHENTICATED");
      onState(message.state ?? "UNAUTHENTICATED");
    },
  });
  const join = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNote("Request sent: waiting for the hub to accept it…");
    try {
      await call("POST", "/v1/hub-client/authenticate-by-request", { hubServerAddress: address });
      setNote("Accepted: this node joined the hub.");
    } catch (failure) {
      setNote("");
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  const leave = async () => {
    if (!confirm("Leave the hub? Joining again needs a new approval.")) return;
    setError(null);
    try {
      await call("POST", "/v1/hub-client/disconnect", {});
      setNote("Left the hub.");
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<div class="panel" data-testid="hub-connection">
    <h2>Hub connection</h2>
    <p>This is the node serving this dashboard. Link state:${" "}
      <strong data-testid="connection-state">${state ?? "…"}</strong></p>
    <${ErrorBox} error=${stream.error} />
    ${state === "UNAUTHENTICATED" ? html`<form onSubmit=${join}>
      <label>Hub address <input value=${address} placeholder="http://127.0.0.1:8769" required
        onInput=${(e) => setAddress(e.target.value)} /></label>
      <button class="primary" disabled=${busy}>Connect to hub</button>
    </form>` : html`<button class="danger" onClick=${leave}>Leave the hub</button>`}
    ${note ? html`<p role="status">${note}</p>` : null}
    <${ErrorBox} error=${error} label="hub-error" />
  </div>`;
}

/** Numeric metrics of every collection as time series, for the resource charts. */
function addSample(history, collections, time) {
  const next = { times: bounded(history.times, time, HISTORY), series: { ...history.series }, count: history.count + 1 };
  for (const collection of collections ?? []) {
    for (const [name, metric] of Object.entries(collection.metrics ?? {})) {
      const value = metricValue(metric);
      if (value === null) continue;
      // One chart per collection and unit: bytes and percentages never share an axis.
      const key = `${collection.path}\u0000${metricInfo(metric).unit}\u0000${name}`;
      const old = next.series[key] ?? new Array(history.times.length).fill(null);
      next.series[key] = bounded(old, value, HISTORY);
    }
  }
  // A series the node stopped sending keeps its length (null) so every series matches `times`.
  for (const [key, values] of Object.entries(next.series)) {
    if (values.length < next.times.length) next.series[key] = bounded(values, null, HISTORY);
  }
  return next;
}

function Resources({ nodeId }) {
  const [history, setHistory] = useState({ times: [], series: {}, count: 0 });
  const { error, open } = useStream(path`/v1/streams/nodes/${nodeId}/metrics`, {
    onMessage: (sample) => setHistory((h) => addSample(h, sample.collections,
      Date.parse(sample.timestamp ?? new Date().toISOString()) / 1000)),
  });
  const charts = {};
  for (const [key, values] of Object.entries(history.series)) {
    const [collection, unit, name] = key.split("\u0000");
    (charts[`${collection}\u0000${unit}`] ??= { collection, unit, series: [] }).series.push({ label: name, values });
  }
  return html`<div class="panel" data-testid="resources">
    <h2>Resources</h2>
    <${ErrorBox} error=${error} label="resources-error" />
    ${!error && !history.times.length ? html`<p class="muted">${open ? "Waiting for the first sample…" : "Connecting…"}</p>` : null}
    ${history.count ? html`<p class="muted" data-testid="resources-samples">${history.count} samples</p>` : null}
    <div class="charts">${Object.entries(charts).slice(0, 10).map(([key, chart]) =>
      html`<${ResourceChart} key=${key} times=${history.times} ...${chart} />`)}</div>
  </div>`;
}

/** One chart of a collection's metrics sharing a unit, with their latest values in words. */
function ResourceChart({ collection, unit, times, series }) {
  // Aggregates (total, used, ...) before numbered ones (core0, core1, ...), which may be many.
  const numbered = (label) => /\d$/.test(label);
  const shown = [...series.filter((s) => !numbered(s.label)), ...series.filter((s) => numbered(s.label))].slice(0, 6);
  const title = unit ? `${collection} (${unit})` : collection;
  return html`<div class="resource-chart" data-collection=${collection} data-unit=${unit}>
    <${Chart} title=${title} unit=${unit} times=${times} series=${shown} />
    <p class="muted latest">${shown.map((s) => {
      const latest = s.values[s.values.length - 1];
      return html`<span data-series=${s.label} data-value=${latest ?? ""}>${s.label} ${compact(latest)} </span>`;
    })}</p>
  </div>`;
}

function Flows({ nodeId }) {
  const [flows, setFlows] = useState([]);
  const { error } = useStream(path`/v1/streams/nodes/${nodeId}/flows`, {
    onMessage: (sample) => setFlows(sample.flows ?? []),
  });
  return html`<div class="panel" data-testid="flows">
    <h2>Flows</h2>
    <${ErrorBox} error=${error} label="flows-error" />
    ${!error ? html`<table class="list"><thead><tr><th>Interface</th><th>Protocol</th><th>Source</th>
      <th>Destination</th><th>bit/s</th><th>Packets sent / received</th></tr></thead>
      <tbody>${flows.slice(0, 200).map((f) => html`<tr data-testid="flow-row" data-destination-port=${f.destinationPort ?? 0}><td>${f.interface}</td><td>${f.protocol}</td>
        <td class="mono">${f.sourceIp}:${f.sourcePort ?? 0}</td><td class="mono">${f.destinationIp}:${f.destinationPort ?? 0}</td>
        <td>${f.bitsPerSecond ?? 0}</td><td>${f.sentPackets ?? 0} / ${f.receivedPackets ?? 0}</td></tr>`)}</tbody></table>
      ${flows.length ? null : html`<p class="muted" data-testid="flows-empty">No flows seen yet.</p>`}` : null}
  </div>`;
}

function AppLog({ nodeId }) {
  const [entries, setEntries] = useState([]);
  const { error } = useStream(path`/v1/streams/nodes/${nodeId}/logs`, {
    method: "POST",
    body: { options: { lines: 100 }, appLogStreamRequest: {} },
    onMessage: (batch) => setEntries((list) => [...list, ...(batch.messages ?? [])].slice(-300)),
  });
  return html`<div class="panel">
    <h2>Application log</h2>
    <${ErrorBox} error=${error} label="applog-error" />
    ${!error ? html`<${LogView} entries=${entries} label="application log" />` : null}
  </div>`;
}
