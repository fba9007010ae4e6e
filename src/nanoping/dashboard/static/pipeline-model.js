// A pipeline config as a graph: components and the links their wiring strings name, a layered
// layout for the diagram, and the edits the diagram editor makes (always back to the same JSON).

const LINK = /^\[([^|\]]+)\|in:(\d+)\]-\[([^|\]]+)\|out:(\d+)\]$/;

/** The parts of a wiring string "[consumer|in:N]-[producer|out:M]", or null. */
export function parseLink(text) {
  const match = LINK.exec(String(text).trim());
  if (!match) return null;
  return { text, consumer: match[1], inPort: +match[2], producer: match[3], outPort: +match[4] };
}

export function linkText(producer, outPort, consumer, inPort) {
  return `[${consumer}|in:${inPort}]-[${producer}|out:${outPort}]`;
}

/** The config document's components: [{id, type, params}]; throws on a shape it cannot read. */
export function components(document) {
  const pipeline = document?.plumr_config?.pipeline;
  if (!pipeline || typeof pipeline !== "object") {
    throw new Error("the config has no plumr_config.pipeline object");
  }
  return Object.entries(pipeline).map(([id, body]) => {
    const [type] = Object.keys(body ?? {});
    return { id, type: type ?? "?", params: (body ?? {})[type] ?? {} };
  });
}

/** Every distinct link the components' wiring fields name. */
export function links(list) {
  const seen = new Map();
  for (const component of list) {
    for (const text of wiringStrings(component.params)) {
      const link = parseLink(text);
      if (link && !seen.has(link.text)) seen.set(link.text, link);
    }
  }
  return [...seen.values()];
}

function* wiringStrings(params) {
  for (const key of ["input", "output"]) {
    const value = params[key];
    if (typeof value === "string") yield value;
    else if (Array.isArray(value)) yield* value.filter((v) => typeof v === "string");
  }
  if (Array.isArray(params.flows)) {
    for (const flow of params.flows) {
      if (flow && typeof flow.input === "string") yield flow.input;
      if (flow && typeof flow.output === "string") yield flow.output;
    }
  }
}

export const BOX = { width: 190, height: 58, gapX: 90, gapY: 34, margin: 24 };

/**
 * A layered layout: links that close a cycle (found walking downstream from the sources, then
 * from the rest in config order) are set aside; each component's column is then its longest
 * path from a source, and rows are ordered by the mean row of their producers.
 */
export function layout(list, linkList) {
  const ids = list.map((c) => c.id);
  const known = new Set(ids);
  const edges = linkList.filter((l) => known.has(l.consumer) && known.has(l.producer) && l.consumer !== l.producer);
  const back = backEdges(ids, edges);
  const producers = new Map(ids.map((id) => [id, []]));
  for (const link of edges) {
    if (!back.has(link)) producers.get(link.consumer).push(link.producer);
  }
  const rank = ranks(ids, producers);
  const columns = [];
  for (const id of ids) (columns[rank.get(id)] ??= []).push(id);
  const row = new Map();
  const positions = {};
  columns.forEach((column, x) => {
    const weight = (id) => {
      const rows = producers.get(id).filter((p) => row.has(p)).map((p) => row.get(p));
      return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
    };
    column.sort((a, b) => weight(a) - weight(b) || a.localeCompare(b));
    column.forEach((id, y) => {
      row.set(id, y);
      positions[id] = {
        x: BOX.margin + x * (BOX.width + BOX.gapX),
        y: BOX.margin + y * (BOX.height + BOX.gapY),
      };
    });
  });
  const tallest = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  return {
    positions,
    width: BOX.margin * 2 + Math.max(1, columns.length) * (BOX.width + BOX.gapX) - BOX.gapX,
    height: BOX.margin * 2 + tallest * (BOX.height + BOX.gapY) - BOX.gapY,
  };
}

/** The links a depth-first walk downstream meets pointing back into its own path. */
function backEdges(ids, edges) {
  const outgoing = new Map(ids.map((id) => [id, []]));
  const fed = new Set(edges.map((l) => l.consumer));
  for (const link of edges) outgoing.get(link.producer).push(link);
  const state = new Map(); // 1 = on the current path, 2 = done
  const back = new Set();
  const walk = (id) => {
    state.set(id, 1);
    for (const link of outgoing.get(id)) {
      const next = state.get(link.consumer);
      if (next === 1) back.add(link);
      else if (next === undefined) walk(link.consumer);
    }
    state.set(id, 2);
  };
  for (const id of [...ids.filter((i) => !fed.has(i)), ...ids]) {
    if (!state.has(id)) walk(id);
  }
  return back;
}

function ranks(ids, producers) {
  const rank = new Map();
  const visit = (id) => {
    if (!rank.has(id)) {
      rank.set(id, 0); // the graph is acyclic now; this only guards against surprises
      rank.set(id, Math.max(0, ...producers.get(id).map((p) => visit(p) + 1)));
    }
    return rank.get(id);
  };
  ids.forEach(visit);
  return rank;
}

/** A deep copy of a config document, for edits that must not touch the shown one. */
export function copy(document) {
  return JSON.parse(JSON.stringify(document));
}

/** Add a component of `type` with its catalogue defaults; returns its new id. */
export function addComponent(document, type, catalogue) {
  const pipeline = document.plumr_config.pipeline;
  let n = 1;
  while (`${type}-${n}` in pipeline) n += 1;
  const id = `${type}-${n}`;
  const entry = catalogue[type];
  const params = {};
  for (const param of entry?.params ?? []) {
    if (param.name === "flows") params.flows = [];
  }
  pipeline[id] = { [type]: params };
  return id;
}

/** Remove a component and every link that names it. */
export function removeComponent(document, id) {
  const pipeline = document.plumr_config.pipeline;
  delete pipeline[id];
  for (const component of components(document)) {
    stripLinks(component.params, (text) => {
      const link = parseLink(text);
      return link && (link.consumer === id || link.producer === id);
    });
  }
}

function stripLinks(params, unwanted) {
  for (const key of ["input", "output"]) {
    if (typeof params[key] === "string" && unwanted(params[key])) delete params[key];
    else if (Array.isArray(params[key])) params[key] = params[key].filter((t) => !unwanted(t));
  }
  if (Array.isArray(params.flows)) {
    params.flows = params.flows
      .map((flow) => ({
        ...flow,
        input: unwanted(flow.input ?? "") ? "" : flow.input,
        output: unwanted(flow.output ?? "") ? "" : flow.output,
      }))
      .filter((flow) => flow.input || flow.output);
  }
}

/** Connect producer's out port to consumer's in port: the same string on both sides. */
export function connect(document, { producer, outPort, consumer, inPort }) {
  const pipeline = document.plumr_config.pipeline;
  const text = linkText(producer, outPort, consumer, inPort);
  place(componentParams(pipeline, producer), "output", text);
  place(componentParams(pipeline, consumer), "input", text);
  return text;
}

function componentParams(pipeline, id) {
  const body = pipeline[id];
  if (!body) throw new Error(`no component '${id}'`);
  return body[Object.keys(body)[0]];
}

function place(params, side, text) {
  if (Array.isArray(params.flows)) {
    const open = params.flows.find((flow) => !flow[side]);
    if (open) open[side] = text;
    else params.flows.push({ input: side === "input" ? text : "", output: side === "output" ? text : "" });
  } else if (Array.isArray(params[side])) {
    params[side].push(text);
  } else {
    params[side] = text;
  }
}

/** Where a node's validation message points: {component, key, message} or null. */
export function errorLocation(message) {
  const match = /component '([^']+)', key '([^']+)':?\s*([\s\S]*)$/.exec(message ?? "");
  return match ? { component: match[1], key: match[2], message: match[3] } : null;
}

/** The templates the create form offers. */
export const TEMPLATES = {
  "Guide example (traffic source to sink)": {
    version: 13,
    plumr_config: {
      pipeline: {
        "traffic_sink-1": {
          traffic_sink: { input: "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]", mtu: 1500 },
        },
        "uniform_traffic_source-1": {
          uniform_traffic_source: {
            output: "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]",
            total_packets: 5000,
            interval: 25,
          },
        },
      },
    },
  },
  "UDP forwarder": {
    version: 13,
    plumr_config: {
      pipeline: {
        "udp_socket-1": {
          udp_socket: {
            bind_address: "127.0.0.1:5000",
            output: "[udp_socket-2|in:0]-[udp_socket-1|out:0]",
          },
        },
        "udp_socket-2": {
          udp_socket: {
            bind_address: "127.0.0.1:0",
            remote_address: "127.0.0.1:5001",
            input: "[udp_socket-2|in:0]-[udp_socket-1|out:0]",
          },
        },
      },
    },
  },
  "Impaired link (delay and loss between two UDP ports)": {
    version: 13,
    plumr_config: {
      pipeline: {
        "udp_socket-1": {
          udp_socket: {
            bind_address: "127.0.0.1:5000",
            output: "[delay_constant-1|in:0]-[udp_socket-1|out:0]",
          },
        },
        "delay_constant-1": {
          delay_constant: {
            delay: 40,
            jitter: 5,
            flows: [{
              input: "[delay_constant-1|in:0]-[udp_socket-1|out:0]",
              output: "[loss_dynamic-1|in:0]-[delay_constant-1|out:0]",
            }],
          },
        },
        "loss_dynamic-1": {
          loss_dynamic: {
            phases: [{ duration: 1000, loss_probability: 0.02 }],
            flows: [{
              input: "[loss_dynamic-1|in:0]-[delay_constant-1|out:0]",
              output: "[udp_socket-2|in:0]-[loss_dynamic-1|out:0]",
            }],
          },
        },
        "udp_socket-2": {
          udp_socket: {
            bind_address: "127.0.0.1:0",
            remote_address: "127.0.0.1:5001",
            input: "[udp_socket-2|in:0]-[loss_dynamic-1|out:0]",
          },
        },
      },
    },
  },
  // One side of a tunnel: the application talks to udp_socket-1, the peer node runs the same
  // pipeline with the two addresses of udp_socket-2 swapped (6000 and 6001 fit one machine).
  "FEC-protected tunnel (rely encoder and decoder over UDP)": {
    version: 13,
    plumr_config: {
      pipeline: {
        "udp_socket-1": {
          udp_socket: {
            bind_address: "127.0.0.1:5000",
            output: "[rely_encoder-1|in:0]-[udp_socket-1|out:0]",
            input: "[udp_socket-1|in:0]-[rely_decoder-1|out:0]",
          },
        },
        "rely_encoder-1": {
          rely_encoder: {
            input: "[rely_encoder-1|in:0]-[udp_socket-1|out:0]",
            output: "[udp_socket-2|in:0]-[rely_encoder-1|out:0]",
            repair_target_rate: 0.25,
          },
        },
        "udp_socket-2": {
          udp_socket: {
            bind_address: "127.0.0.1:6000",
            remote_address: "127.0.0.1:6001",
            input: "[udp_socket-2|in:0]-[rely_encoder-1|out:0]",
            output: "[rely_decoder-1|in:0]-[udp_socket-2|out:0]",
          },
        },
        "rely_decoder-1": {
          rely_decoder: {
            input: "[rely_decoder-1|in:0]-[udp_socket-2|out:0]",
            output: "[udp_socket-1|in:0]-[rely_decoder-1|out:0]",
          },
        },
      },
    },
  },
  // Raft over two bonded UDP carriers; the peer swaps the carriers' addresses (6000/6001, 6002/6003).
  "Raft-protected tunnel (two bonded UDP carriers)": {
    version: 13,
    plumr_config: {
      pipeline: {
        "udp_socket-1": {
          udp_socket: {
            bind_address: "127.0.0.1:5000",
            output: "[raft-1|in:0]-[udp_socket-1|out:0]",
            input: "[udp_socket-1|in:0]-[raft-1|out:0]",
          },
        },
        "raft-1": {
          raft: {
            streams: [{
              input: "[raft-1|in:0]-[udp_socket-1|out:0]",
              output: "[udp_socket-1|in:0]-[raft-1|out:0]",
              stream_handle: 1,
              realtime: { timeout: 150, delivery_policy: "on_ordered" },
            }],
            carriers: [
              {
                input: "[raft-1|in:1]-[udp_socket-2|out:0]",
                output: "[udp_socket-2|in:0]-[raft-1|out:1]",
                carrier_handle: 10,
                priority: 2,
              },
              {
                input: "[raft-1|in:2]-[udp_socket-3|out:0]",
                output: "[udp_socket-3|in:0]-[raft-1|out:2]",
                carrier_handle: 20,
                priority: 1,
              },
            ],
          },
        },
        "udp_socket-2": {
          udp_socket: {
            bind_address: "127.0.0.1:6000",
            remote_address: "127.0.0.1:6001",
            input: "[udp_socket-2|in:0]-[raft-1|out:1]",
            output: "[raft-1|in:1]-[udp_socket-2|out:0]",
          },
        },
        "udp_socket-3": {
          udp_socket: {
            bind_address: "127.0.0.1:6002",
            remote_address: "127.0.0.1:6003",
            input: "[udp_socket-3|in:0]-[raft-1|out:2]",
            output: "[raft-1|in:2]-[udp_socket-3|out:0]",
          },
        },
      },
    },
  },
};
