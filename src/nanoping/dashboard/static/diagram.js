// The pipeline diagram: components as boxes, links as arrows, laid out automatically, with live
// packet rates on the links; and the editor built on it (add, set parameters, connect, remove).

import { useEffect, useMemo, useState } from "./vendor/hooks.module.js";
import { call, path } from "./api.js";
import {
  BOX, addComponent, components, connect, copy, errorLocation, layout, links, removeComponent,
} from "./pipeline-model.js";
import { ErrorBox, formatRate, html } from "./ui.js";

/**
 * The rate shown on a link: the producer's output rate when the link is its only output, else the
 * consumer's input rate when it is that one's only input, else the producer's total (marked Σ).
 */
function linkRate(link, linkList, rates) {
  const outs = linkList.filter((l) => l.producer === link.producer).length;
  const ins = linkList.filter((l) => l.consumer === link.consumer).length;
  if (outs === 1 && rates[link.producer]) return formatRate(rates[link.producer].out);
  if (ins === 1 && rates[link.consumer]) return formatRate(rates[link.consumer].in);
  if (rates[link.producer]) return `Σ ${formatRate(rates[link.producer].out)}`;
  return null;
}

/** Boxes and arrows of a config document; `rates` maps component id to {in, out} packets/s. */
export function Diagram({ document, rates = {}, selected, onSelect, errorAt }) {
  const list = useMemo(() => components(document), [document]);
  const linkList = useMemo(() => links(list), [list]);
  const placed = useMemo(() => layout(list, linkList), [list, linkList]);
  const live = Object.keys(rates).length > 0;
  return html`<div class="diagram-wrap"><svg class="diagram" data-testid="diagram" role="group"
      aria-label="pipeline diagram" viewBox=${`0 0 ${placed.width} ${placed.height}`}
      width=${placed.width} style=${`max-width:100%`}>
    <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7"
      orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" /></marker></defs>
    ${linkList.map((link) => {
      const from = placed.positions[link.producer];
      const to = placed.positions[link.consumer];
      if (!from || !to) return null;
      const x1 = from.x + BOX.width, y1 = from.y + BOX.height / 2;
      const x2 = to.x, y2 = to.y + BOX.height / 2;
      const back = x2 <= x1;
      const d = back
        ? `M ${x1} ${y1} C ${x1 + 60} ${y1 + 90}, ${x2 - 60} ${y2 + 90}, ${x2} ${y2}`
        : `M ${x1} ${y1} C ${(x1 + x2) / 2} ${y1}, ${(x1 + x2) / 2} ${y2}, ${x2} ${y2}`;
      const rate = live ? linkRate(link, linkList, rates) : null;
      return html`<g class="link" data-testid="link" data-link=${link.text}>
        <path d=${d} marker-end="url(#arrow)" />
        ${rate !== null ? html`<text class="rate" data-testid="link-rate" x=${(x1 + x2) / 2} y=${(y1 + y2) / 2 - 6 + (back ? 60 : 0)}
          text-anchor="middle">${rate} pkt/s</text>` : null}
      </g>`;
    })}
    ${list.map((component) => {
      const at = placed.positions[component.id];
      const failing = errorAt && errorAt.component === component.id;
      const cls = ["box", selected === component.id ? "selected" : "", failing ? "failing" : ""].join(" ");
      const choose = () => onSelect && onSelect(component.id);
      return html`<g class=${cls} data-testid="box" data-component=${component.id}
        transform=${`translate(${at.x} ${at.y})`} tabindex=${onSelect ? 0 : -1}
        role=${onSelect ? "button" : undefined} aria-label=${`${component.id} (${component.type})`}
        onClick=${choose} onKeyDown=${(e) => (e.key === "Enter" || e.key === " ") && (e.preventDefault(), choose())}>
        <rect width=${BOX.width} height=${BOX.height} rx="8" />
        <text x="10" y="22" class="box-id">${component.id}</text>
        <text x="10" y="42" class="box-type">${component.type}</text>
        ${failing ? html`<text x=${BOX.width - 10} y="22" text-anchor="end" class="box-flag">!</text>` : null}
      </g>`;
    })}
  </svg></div>`;
}

const NEW_CONFIG = { version: 13, plumr_config: { pipeline: {} } };

/** The diagram editor: edits a config document and saves it as a new or existing pipeline. */
export function EditorPage({ nodeId, pipelineId }) {
  const [catalogue, setCatalogue] = useState(null);
  const [pipeline, setPipeline] = useState(null);
  const [document, setDocument] = useState(pipelineId ? null : copy(NEW_CONFIG));
  const [name, setName] = useState("");
  const [selected, setSelected] = useState(null);
  const [error, setError] = useState(null);
  const [note, setNote] = useState("");
  useEffect(() => {
    fetch("/assets/catalogue.json").then((r) => r.json()).then(setCatalogue, setError);
    if (!pipelineId) return;
    call("GET", path`/v1/nodes/${nodeId}/pipelines/${pipelineId}`).then((reply) => {
      setPipeline(reply.pipeline);
      setName(reply.pipeline.name);
      setDocument(JSON.parse(reply.pipeline.jsonConfig));
    }, setError);
  }, [nodeId, pipelineId]);
  if (!document || !catalogue) {
    return html`<section><h1>Diagram editor</h1><${ErrorBox} error=${error} /><p>Loading…</p></section>`;
  }
  const change = (edit) => {
    const next = copy(document);
    const result = edit(next);
    setDocument(next);
    setError(null);
    return result;
  };
  const save = async (start) => {
    setError(null);
    setNote("");
    try {
      const saved = await savePipeline({ nodeId, pipeline, name, document });
      setPipeline(saved);
      if (start) await call("POST", path`/v1/nodes/${nodeId}/pipelines/${saved.id}/start`);
      location.hash = `#/nodes/${encodeURIComponent(nodeId)}/pipelines/${encodeURIComponent(saved.id)}`;
    } catch (failure) {
      setError(failure);
      const at = errorLocation(failure.message);
      if (at) setSelected(at.component);
    }
  };
  const errorAt = error ? errorLocation(error.message) : null;
  return html`<section aria-labelledby="editor-title" class="editor">
    <h1 id="editor-title">${pipeline ? `Edit ${pipeline.name}` : "New pipeline"} <small>diagram editor</small></h1>
    <div class="toolbar">
      <label>Name <input value=${name} onInput=${(e) => setName(e.target.value)} data-testid="editor-name" required /></label>
      <${AddComponent} catalogue=${catalogue} onAdd=${(type) => setSelected(change((d) => addComponent(d, type, catalogue)))} />
      <button class="primary" onClick=${() => save(false)} data-testid="editor-save">Save</button>
      <button onClick=${() => save(true)} data-testid="editor-save-start">Save and start</button>
    </div>
    <${ErrorBox} error=${error} label="editor-error" />
    ${note ? html`<p role="status">${note}</p>` : null}
    <div class="editor-body">
      <${Diagram} document=${document} selected=${selected} onSelect=${setSelected} errorAt=${errorAt} />
      <aside class="inspector">
        ${selected && document.plumr_config.pipeline[selected]
          ? html`<${Inspector} key=${selected} id=${selected} document=${document} catalogue=${catalogue}
              errorAt=${errorAt} change=${change} onRemoved=${() => setSelected(null)} />`
          : html`<p class="muted">Select a component (click, or Tab then Enter) to set its parameters.</p>`}
        <${Connector} document=${document} change=${change} />
      </aside>
    </div>
    <details><summary>JSON config</summary><pre data-testid="editor-json">${JSON.stringify(document, null, 2)}</pre></details>
  </section>`;
}

async function savePipeline({ nodeId, pipeline, name, document }) {
  const jsonConfig = JSON.stringify(document, null, 2);
  if (!pipeline) {
    return (await call("POST", path`/v1/nodes/${nodeId}/pipelines`, { name, jsonConfig })).pipeline;
  }
  const body = updateBody(pipeline, { name, jsonConfig });
  return (await call("PUT", path`/v1/nodes/${nodeId}/pipelines/${pipeline.id}`, body)).pipeline;
}

/** updatePipeline replaces every setting: the current ones, with the changes on top. */
export function updateBody(pipeline, changes) {
  const body = {
    name: pipeline.name,
    jsonConfig: pipeline.jsonConfig,
    restartPolicy: pipeline.restartPolicy,
    startupPolicy: pipeline.startupPolicy,
    defaultLoggingLevel: pipeline.defaultLoggingLevel,
    instructionsTimeout: pipeline.instructionsTimeout,
    performanceMode: pipeline.performanceMode,
    ...changes,
  };
  if (pipeline.cpuPin !== undefined) body.cpuPin = pipeline.cpuPin;
  if (pipeline.nodeReferenceId !== undefined) body.nodeReferenceId = pipeline.nodeReferenceId;
  return body;
}

function AddComponent({ catalogue, onAdd }) {
  const types = Object.keys(catalogue).sort();
  const [type, setType] = useState(types[0]);
  return html`<span class="add">
    <label>Component <select value=${type} onChange=${(e) => setType(e.target.value)} data-testid="add-type">
      ${types.map((t) => html`<option value=${t}>${t}</option>`)}</select></label>
    <button onClick=${() => onAdd(type)} data-testid="add-component">Add</button>
  </span>`;
}

function Inspector({ id, document, catalogue, errorAt, change, onRemoved }) {
  const body = document.plumr_config.pipeline[id];
  const type = Object.keys(body)[0];
  const params = body[type];
  const entry = catalogue[type] ?? { params: [], links: [] };
  const editable = entry.params.filter((p) => !entry.links.includes(p.name) && p.name !== "flows");
  const set = (param, raw) => change((d) => {
    const target = d.plumr_config.pipeline[id][type];
    if (raw === "") delete target[param.name];
    else target[param.name] = parseParam(param, raw);
  });
  return html`<div class="panel" data-testid="inspector" data-component=${id}>
    <h2>${id}</h2>
    <p class="muted">${type}</p>
    ${errorAt && errorAt.component === id ? html`<p class="error" role="alert" data-testid="component-error">
      Key <code>${errorAt.key}</code>: ${errorAt.message ?? "see the error above"}</p>` : null}
    ${editable.map((param) => html`<label class="param" title=${param.doc}>
      <span>${param.name}${param.required ? " *" : ""}</span>
      ${param.type === "boolean"
        ? html`<select value=${String(params[param.name] ?? "")} data-param=${param.name}
            onChange=${(e) => set(param, e.target.value)}>
            <option value="">default (${String(param.default)})</option><option>true</option><option>false</option></select>`
        : html`<input value=${valueText(params[param.name])} data-param=${param.name}
            placeholder=${param.default === null ? "" : `default ${JSON.stringify(param.default)}`}
            onChange=${(e) => set(param, e.target.value)} />`}
      <small>${param.doc}</small>
    </label>`)}
    <button class="danger" onClick=${() => { change((d) => removeComponent(d, id)); onRemoved(); }}>Remove component</button>
  </div>`;
}

function valueText(value) {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function parseParam(param, raw) {
  if (param.type === "integer" || param.type === "number") {
    const value = Number(raw);
    return Number.isFinite(value) ? value : raw; // the node names the key if it is not a number
  }
  if (param.type === "boolean") return raw === "true";
  if (param.type === "array" || param.type === "object") {
    try { return JSON.parse(raw); } catch { return raw; }
  }
  return raw;
}

function Connector({ document, change }) {
  const ids = Object.keys(document.plumr_config.pipeline);
  const [link, setLink] = useState({ producer: "", outPort: 0, consumer: "", inPort: 0 });
  const [error, setError] = useState(null);
  const producer = ids.includes(link.producer) ? link.producer : ids[0] ?? "";
  const consumer = ids.includes(link.consumer) ? link.consumer : ids[1] ?? ids[0] ?? "";
  const submit = (event) => {
    event.preventDefault();
    try {
      change((d) => connect(d, { ...link, producer, consumer }));
      setError(null);
    } catch (failure) {
      setError(failure);
    }
  };
  const field = (key, value) => setLink({ ...link, producer, consumer, [key]: value });
  return html`<form class="panel" onSubmit=${submit} data-testid="connector">
    <h2>Connect ports</h2>
    <label>From <select value=${producer} onChange=${(e) => field("producer", e.target.value)} data-testid="connect-from">
      ${ids.map((id) => html`<option value=${id}>${id}</option>`)}</select></label>
    <label>out port <input type="number" min="0" value=${link.outPort} onInput=${(e) => field("outPort", +e.target.value)} /></label>
    <label>To <select value=${consumer} onChange=${(e) => field("consumer", e.target.value)} data-testid="connect-to">
      ${ids.map((id) => html`<option value=${id}>${id}</option>`)}</select></label>
    <label>in port <input type="number" min="0" value=${link.inPort} onInput=${(e) => field("inPort", +e.target.value)} /></label>
    <button data-testid="connect" disabled=${ids.length === 0}>Connect</button>
    <${ErrorBox} error=${error} />
  </form>`;
}
