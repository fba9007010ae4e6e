// Networks and blueprints of the cluster; every refusal of the networks services (such as a relay
// without a carrier address) is shown in the API's own words where it happened.

import { useEffect, useState } from "./vendor/hooks.module.js";
import { call, path } from "./api.js";
import { ErrorBox, html, useStream } from "./ui.js";

// Networks calls wait for the networks node to connect; do not let the page hang on them.
const WAIT = 10000;

function useSlowCall(url) {
  const [round, setRound] = useState(0);
  const [state, setState] = useState({ value: null, error: null, loading: true });
  useEffect(() => {
    let live = true;
    call("GET", url, undefined, { timeout: WAIT }).then(
      (value) => live && setState({ value, error: null, loading: false }),
      (error) => live && setState({ value: null, error, loading: false }),
    );
    return () => { live = false; };
  }, [url, round]);
  return { ...state, reload: () => setRound((r) => r + 1) };
}

export function NetworksPage() {
  const networks = useSlowCall("/v1/networks");
  const blueprints = useSlowCall("/v1/blueprints");
  // Any change to a network (here or elsewhere) refreshes the list.
  useStream("/v1/streams/networks", { onMessage: () => networks.reload() });
  return html`<section aria-labelledby="networks-title">
    <h1 id="networks-title">Networks</h1>
    <div class="panel" data-testid="networks"><h2>Networks</h2>
      <${ErrorBox} error=${networks.error} label="networks-error" />
      ${networks.loading ? html`<p>Loading…</p>` : null}
      <table class="list"><thead><tr><th>Name</th><th>Subnet</th><th>Relay</th><th>Members</th></tr></thead>
        <tbody>${(networks.value?.networks ?? []).map((n) => html`<tr data-testid="network-row">
          <td>${n.network?.name}<div class="muted mono">${n.id}</div></td><td class="mono">${n.network?.subnetCidr}</td>
          <td class="mono">${n.network?.relayNodeId}</td><td>${(n.network?.nodes ?? []).length}</td></tr>`)}</tbody></table>
      <${NetworkForm} blueprints=${blueprints.value?.blueprints ?? []} onSaved=${networks.reload} />
    </div>
    <div class="panel" data-testid="blueprints"><h2>Blueprints</h2>
      <${ErrorBox} error=${blueprints.error} label="blueprints-error" />
      ${blueprints.loading ? html`<p>Loading…</p>` : null}
      <${Blueprints} list=${blueprints.value?.blueprints ?? []} onSaved=${blueprints.reload} />
    </div>
  </section>`;
}

function NetworkForm({ blueprints, onSaved }) {
  const [form, setForm] = useState({ name: "", subnetCidr: "100.65.254.0/24", relayNodeId: "", parameters: "", clientBlueprint: "" });
  const [error, setError] = useState(null);
  const set = (key) => (e) => setForm({ ...form, [key]: e.target.value });
  const save = async (event) => {
    event.preventDefault();
    setError(null);
    const network = { name: form.name, subnetCidr: form.subnetCidr, relayNodeId: form.relayNodeId, parameters: form.parameters };
    if (form.clientBlueprint) network.blueprints = { clientBlueprint: form.clientBlueprint };
    try {
      await call("POST", "/v1/networks", network, { timeout: WAIT });
      onSaved();
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<form onSubmit=${save} data-testid="network-form"><h3>Create network</h3>
    <label>Name <input value=${form.name} onInput=${set("name")} required /></label>
    <label>Subnet <input value=${form.subnetCidr} onInput=${set("subnetCidr")} required /></label>
    <label>Relay node id <input value=${form.relayNodeId} onInput=${set("relayNodeId")} required /></label>
    <label>Client blueprint <select value=${form.clientBlueprint} onChange=${set("clientBlueprint")}>
      <option value="">the default</option>
      ${blueprints.map((b) => html`<option value=${b.id}>${b.blueprint?.name ?? b.id}</option>`)}</select></label>
    <label>Parameters (JSON) <input value=${form.parameters} onInput=${set("parameters")} placeholder="{}" /></label>
    <button class="primary">Create network</button>
    <${ErrorBox} error=${error} label="network-error" />
  </form>`;
}

function Blueprints({ list, onSaved }) {
  const [chosen, setChosen] = useState(null); // {id?, name, template, readOnly}
  const [error, setError] = useState(null);
  const act = async (verb, url, body) => {
    setError(null);
    try {
      const reply = await call(verb, url, body, { timeout: WAIT });
      onSaved();
      return reply;
    } catch (failure) {
      setError(failure);
      return null;
    }
  };
  const duplicate = (b) => act("POST", "/v1/blueprints", { name: `${b.blueprint?.name} (copy)`, template: b.blueprint?.template ?? "" });
  const remove = (b) => confirm(`Delete blueprint ${b.blueprint?.name}?`) && act("DELETE", path`/v1/blueprints/${b.id}`);
  return html`<div>
    <${ErrorBox} error=${error} label="blueprint-action-error" />
    <ul class="components">${list.map((b) => html`<li data-testid="blueprint-row" data-blueprint=${b.blueprint?.name}>
      <strong>${b.blueprint?.name}</strong> ${b.blueprint?.readOnly ? html`<span class="badge">built in</span>` : null}
      <span class="muted mono"> ${b.id}</span>
      <div class="actions">
        <button onClick=${() => setChosen({ id: b.id, name: b.blueprint?.name ?? "", template: b.blueprint?.template ?? "", readOnly: Boolean(b.blueprint?.readOnly) })}>
          ${b.blueprint?.readOnly ? "View" : "Edit"}</button>
        <button onClick=${() => duplicate(b)}>Duplicate</button>
        ${b.blueprint?.readOnly ? null : html`<button class="danger" onClick=${() => remove(b)}>Delete</button>`}
      </div></li>`)}</ul>
    <button class="primary" onClick=${() => setChosen({ name: "", template: "", readOnly: false })}>Create blueprint</button>
    ${chosen ? html`<${BlueprintEditor} key=${chosen.id ?? "new"} blueprint=${chosen}
      onSave=${async (b) => {
        const body = { name: b.name, template: b.template };
        const done = chosen.id ? await act("PUT", path`/v1/blueprints/${chosen.id}`, body) : await act("POST", "/v1/blueprints", body);
        if (done) setChosen(null);
      }} />` : null}
  </div>`;
}

function BlueprintEditor({ blueprint, onSave }) {
  const [name, setName] = useState(blueprint.name);
  const [template, setTemplate] = useState(blueprint.template);
  const submit = (event) => {
    event.preventDefault();
    onSave({ name, template });
  };
  return html`<form onSubmit=${submit} data-testid="blueprint-editor" class="panel">
    <h3>${blueprint.id ? (blueprint.readOnly ? "Built-in blueprint" : "Edit blueprint") : "New blueprint"}</h3>
    <label>Name <input value=${name} onInput=${(e) => setName(e.target.value)} required readOnly=${blueprint.readOnly} /></label>
    <label>Template <textarea rows="14" spellcheck="false" value=${template} readOnly=${blueprint.readOnly}
      placeholder="A pipeline config as a Go text/template, e.g. {{ .node.ip }}" onInput=${(e) => setTemplate(e.target.value)}></textarea></label>
    ${blueprint.readOnly ? html`<p class="muted">Built-in blueprints cannot be changed; duplicate one to edit it.</p>`
      : html`<button class="primary">Save blueprint</button>`}
  </form>`;
}
