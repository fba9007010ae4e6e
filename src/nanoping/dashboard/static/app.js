// The dashboard's shell: hash routes, the sidebar and the light/dark switch.

import { render } from "./vendor/preact.module.js";
import { useEffect, useState } from "./vendor/hooks.module.js";
import { EditorPage } from "./diagram.js";
import { NetworksPage } from "./networks.js";
import { NodePage } from "./node.js";
import { JoinPage, NodesPage } from "./nodes.js";
import { PipelinePage, PipelinesPage } from "./pipelines.js";
import { html, useLocalNode } from "./ui.js";

/** The page a location hash names, with its parameters. */
export function route(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const [section, nodeId, sub, id] = parts;
  if (section === "join") return { page: "join" };
  if (section === "networks") return { page: "networks" };
  if (section === "nodes" && nodeId) {
    if (sub === "pipelines" && id) return { page: "pipeline", nodeId, pipelineId: id };
    if (sub === "pipelines") return { page: "pipelines", nodeId };
    if (sub === "editor") return { page: "editor", nodeId, pipelineId: id ?? null };
    return { page: "node", nodeId };
  }
  return { page: "nodes" };
}

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    addEventListener("hashchange", update);
    return () => removeEventListener("hashchange", update);
  }, []);
  return hash;
}

function Page({ at }) {
  switch (at.page) {
    case "join": return html`<${JoinPage} />`;
    case "networks": return html`<${NetworksPage} />`;
    case "node": return html`<${NodePage} key=${at.nodeId} nodeId=${at.nodeId} />`;
    case "pipelines": return html`<${PipelinesPage} key=${at.nodeId} nodeId=${at.nodeId} />`;
    case "pipeline": return html`<${PipelinePage} key=${at.pipelineId} nodeId=${at.nodeId} pipelineId=${at.pipelineId} />`;
    case "editor": return html`<${EditorPage} key=${`${at.nodeId}/${at.pipelineId}`} nodeId=${at.nodeId} pipelineId=${at.pipelineId} />`;
    default: return html`<${NodesPage} />`;
  }
}

function ThemeSwitch() {
  const [theme, setTheme] = useState(localStorage.getItem("np-theme") ?? "auto");
  useEffect(() => {
    if (theme === "auto") delete document.documentElement.dataset.theme;
    else document.documentElement.dataset.theme = theme;
    localStorage.setItem("np-theme", theme);
  }, [theme]);
  return html`<label class="theme">Theme <select value=${theme} onChange=${(e) => setTheme(e.target.value)}>
    <option value="auto">system</option><option value="light">light</option><option value="dark">dark</option>
  </select></label>`;
}

function App() {
  const at = route(useHash());
  const local = useLocalNode();
  const here = local?.nodeId ? `#/nodes/${encodeURIComponent(local.nodeId)}` : "#/nodes";
  const link = (href, label, active) => html`<li><a href=${href} aria-current=${active ? "page" : undefined}>${label}</a></li>`;
  const mine = local?.nodeId && at.nodeId === local.nodeId;
  return html`<a class="skip" href="#main">Skip to content</a>
    <nav class="sidebar" aria-label="sections">
      <div class="brand">NanoPing</div>
      <ul>
        ${link("#/nodes", "Nodes", at.page === "nodes")}
        ${link("#/join", "Join requests", at.page === "join")}
        ${link(here, "This node", mine && at.page === "node")}
        ${link(`${here}/pipelines`, "Its pipelines", mine && at.page === "pipelines")}
        ${link("#/networks", "Networks", at.page === "networks")}
      </ul>
      <${ThemeSwitch} />
    </nav>
    <main id="main" tabindex="-1"><${Page} at=${at} /></main>`;
}

render(html`<${App} />`, document.getElementById("app"));
