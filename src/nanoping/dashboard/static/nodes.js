// The Nodes overview (live from streamNodes) and the Join requests page (the approvals WebSocket).

import { Component } from "./vendor/preact.module.js";
import { useEffect, useMemo, useState } from "./vendor/hooks.module.js";
import { approvals, call, path } from "./api.js";
import { ErrorBox, html, itemText, shortId, useStream } from "./ui.js";

const SERVICES = ["HUB_SERVER", "RESOURCES", "LOGGING", "PIPELINES"];
const UPDATE_KINDS = [
  "connectedNode", "disconnectedNode", "authenticatedNode",
  "deauthenticatedNode", "updatedMetadataNode", "updatedNameNode",
];

/** Apply one streamNodes message to the node map (a new Map when something changed). */
export function applyNodesMessage(nodes, message) {
  if (message.initialResponse) {
    return new Map((message.initialResponse.nodes ?? []).map((n) => [n.id, n]));
  }
  const update = message.updateResponse ?? {};
  const kind = UPDATE_KINDS.find((k) => update[k]);
  if (!kind) return nodes;
  const next = new Map(nodes);
  if (kind === "deauthenticatedNode") next.delete(update[kind].id);
  else next.set(update[kind].id, update[kind]);
  return next;
}

function parseFilter(text) {
  const filters = [];
  for (const part of text.split(",").map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf("=");
    filters.push(eq < 0 ? { key: part, value: null } : { key: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() });
  }
  return filters;
}

function matches(node, filters, service) {
  if (service && !(node.services ?? []).includes(service)) return false;
  const items = node.metadata?.items ?? {};
  return filters.every((f) => f.key in items && (f.value === null || itemText(items[f.key]) === f.value));
}

const byName = new Intl.Collator(undefined, { numeric: true });

export function NodesPage() {
  const [nodes, setNodes] = useState(new Map());
  const [filterText, setFilterText] = useState("");
  const [service, setService] = useState("");
  const [actionError, setActionError] = useState(null);
  const { error, open } = useStream("/v1/streams/nodes", {
    onMessage: (message) => setNodes((current) => applyNodesMessage(current, message)),
  });
  const filters = useMemo(() => parseFilter(filterText), [filterText]);
  const shown = useMemo(
    () => [...nodes.values()].filter((n) => matches(n, filters, service))
      .sort((a, b) => byName.compare(a.name || a.id, b.name || b.id)),
    [nodes, filters, service],
  );
  const online = shown.filter((n) => n.online).length;
  const remove = async (node) => {
    if (!confirm(`Remove ${node.name || node.id} from the hub? It will have to ask to join again.`)) return;
    setActionError(null);
    try {
      await call("DELETE", path`/v1/nodes/${node.id}`);
    } catch (failure) {
      setActionError(failure);
    }
  };
  return html`<section aria-labelledby="nodes-title">
    <h1 id="nodes-title">Nodes</h1>
    <p class="muted" data-testid="nodes-summary">${open ? "live" : "connecting…"}${" · "}
      ${shown.length} shown of ${nodes.size} · ${online} online</p>
    <${ErrorBox} error=${error} label="nodes-error" />
    <${ErrorBox} error=${actionError} label="remove-error" />
    <div class="filters">
      <label>Metadata <input value=${filterText} placeholder="type=edge, site"
        onInput=${(e) => setFilterText(e.target.value)} data-testid="metadata-filter" /></label>
      <label>Service <select value=${service} onChange=${(e) => setService(e.target.value)}
        data-testid="service-filter">
        <option value="">any</option>
        ${SERVICES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label>
    </div>
    <div class="node-list" role="table" aria-label="nodes" data-testid="nodes-table">
      <div class="node-row head" role="row"><span role="columnheader">Name</span><span role="columnheader">State</span>
        <span role="columnheader">Services</span><span role="columnheader">Metadata</span><span role="columnheader">Actions</span></div>
      ${shown.map((node) => html`<${NodeRow} key=${node.id} node=${node} onRemove=${remove} />`)}
    </div>
  </section>`;
}

/** One row; redrawn only when its node changed, so an update to one node of thousands is cheap. */
class NodeRow extends Component {
  shouldComponentUpdate(next) {
    return next.node !== this.props.node;
  }

  render({ node, onRemove }) {
    return nodeRow(node, onRemove);
  }
}

function nodeRow(node, onRemove) {
  const items = Object.entries(node.metadata?.items ?? {});
  return html`<div class="node-row" role="row" data-node-id=${node.id} data-testid="node-row">
    <span role="cell"><a href=${"#/nodes/" + encodeURIComponent(node.id)}>${node.name || "(no name)"}</a>
      <span class="muted mono id">${shortId(node.id)}</span></span>
    <span role="cell"><span class=${node.online ? "badge ok" : "badge off"}>${node.online ? "online" : "offline"}</span></span>
    <span role="cell">${(node.services ?? []).join(", ")}</span>
    <span role="cell">${items.map(([k, v]) => html`<span class="chip">${k}=${itemText(v)}</span>`)}</span>
    <span role="cell" class="actions">
      <a class="button" href=${"#/nodes/" + encodeURIComponent(node.id) + "/pipelines"}>Pipelines</a>
      <button class="danger" onClick=${() => onRemove(node)}>Remove</button>
    </span>
  </div>`;
}

export function JoinPage() {
  const [pending, setPending] = useState([]);
  const [decided, setDecided] = useState([]);
  const [state, setState] = useState("connecting");
  const [error, setError] = useState(null);
  const [channel, setChannel] = useState(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    setError(null);
    setState("connecting");
    const socket = approvals({
      onOpen: () => setState("open"),
      onRequest: (request) => setPending((list) => [...list.filter((r) => r.requestId !== request.requestId), request]),
      onClose: (failure) => {
        setState("closed");
        // The browser hides a refused handshake's reason; ask the hub service for it in words.
        call("GET", "/v1/nodes").then(() => setError(failure), (why) => setError(why));
      },
    });
    setChannel(socket);
    return () => socket.close();
  }, [round]);
  const answer = (request, accept) => {
    channel.answer(request.requestId, accept);
    setPending((list) => list.filter((r) => r.requestId !== request.requestId));
    setDecided((list) => [{ ...request, accept }, ...list].slice(0, 20));
  };
  return html`<section aria-labelledby="join-title">
    <h1 id="join-title">Join requests</h1>
    <p class="muted" data-testid="join-state">${state === "open" ? "Listening for join requests" : state === "closed" ? "Not listening" : "Connecting…"}</p>
    <${ErrorBox} error=${error} label="join-error" />
    ${state === "closed" ? html`<button onClick=${() => setRound((r) => r + 1)}>Listen again</button>` : null}
    ${pending.length === 0 && state === "open" ? html`<p>No node is asking to join.</p>` : null}
    <ul class="cards" data-testid="join-requests">
      ${pending.map((request) => html`<li class="card" data-testid="join-request" data-node-id=${request.node?.id}>
        <h2>${request.node?.name || "(no name)"}</h2>
        <p class="mono">${request.node?.id}</p>
        <p>Services: ${(request.node?.services ?? []).join(", ") || "none"}</p>
        <p>${Object.entries(request.node?.metadata?.items ?? {}).map(([k, v]) => html`<span class="chip">${k}=${itemText(v)}</span>`)}</p>
        <div class="actions">
          <button class="primary" onClick=${() => answer(request, true)}>Accept</button>
          <button class="danger" onClick=${() => answer(request, false)}>Reject</button>
        </div>
      </li>`)}
    </ul>
    ${decided.length ? html`<h2>Answered here</h2><ul data-testid="join-decided">
      ${decided.map((r) => html`<li>${r.node?.name || r.node?.id}: ${r.accept ? "accepted" : "rejected"}</li>`)}</ul>` : null}
  </section>`;
}
