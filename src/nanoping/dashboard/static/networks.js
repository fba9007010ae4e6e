// Networks and blueprints, as far as the node's API answers them today.

import { useEffect, useState } from "./vendor/hooks.module.js";
import { call } from "./api.js";
import { ErrorBox, html } from "./ui.js";

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
  return { ...state, reload: () => setRound(round + 1) };
}

export function NetworksPage() {
  const networks = useSlowCall("/v1/networks");
  const blueprints = useSlowCall("/v1/blueprints");
  return html`<section aria-labelledby="networks-title">
    <h1 id="networks-title">Networks</h1>
    <div class="panel" data-testid="networks"><h2>Networks</h2>
      <${ErrorBox} error=${networks.error} label="networks-error" />
      ${networks.loading ? html`<p>Loading…</p>` : null}
      <ul>${(networks.value?.networks ?? []).map((n) => html`<li>${n.network?.name ?? n.id} <span class="muted mono">${n.id}</span></li>`)}</ul>
    </div>
    <div class="panel" data-testid="blueprints"><h2>Blueprints</h2>
      <${ErrorBox} error=${blueprints.error} label="blueprints-error" />
      ${blueprints.loading ? html`<p>Loading…</p>` : null}
      <ul>${(blueprints.value?.blueprints ?? []).map((b) => html`<li><strong>${b.blueprint?.name ?? b.name ?? b.id}</strong>
        <span class="muted mono">${b.id}</span></li>`)}</ul>
      <${BlueprintEditor} onSaved=${blueprints.reload} />
    </div>
  </section>`;
}

function BlueprintEditor({ onSaved }) {
  const [name, setName] = useState("");
  const [template, setTemplate] = useState("");
  const [error, setError] = useState(null);
  const save = async (event) => {
    event.preventDefault();
    setError(null);
    try {
      await call("POST", "/v1/blueprints", { name, template }, { timeout: WAIT });
      onSaved();
    } catch (failure) {
      setError(failure);
    }
  };
  return html`<form onSubmit=${save}><h3>Create blueprint</h3>
    <label>Name <input value=${name} onInput=${(e) => setName(e.target.value)} required /></label>
    <label>Template <textarea rows="10" spellcheck="false" value=${template}
      placeholder="A pipeline config as a Go text/template" onInput=${(e) => setTemplate(e.target.value)}></textarea></label>
    <button class="primary">Create blueprint</button>
    <${ErrorBox} error=${error} label="blueprint-error" />
  </form>`;
}
