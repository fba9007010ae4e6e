// The node's public REST API as the dashboard uses it: JSON calls, server-sent event streams
// (read with fetch, so POST streams work too) and the join-approvals WebSocket.

export const CODE_NAMES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
  "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
  "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

// Words for the codes a user meets, so an error reads as a sentence and not a number.
const CODE_WORDS = {
  UNIMPLEMENTED: "This node does not offer this yet",
  UNAVAILABLE: "The node cannot be reached",
  NOT_FOUND: "Not found",
  INVALID_ARGUMENT: "Invalid input",
  FAILED_PRECONDITION: "Not possible now",
  PERMISSION_DENIED: "Not allowed",
  ALREADY_EXISTS: "Already exists",
  DEADLINE_EXCEEDED: "No answer in time",
  UNAUTHENTICATED: "Refused",
  CANCELLED: "Cancelled",
  RESOURCE_EXHAUSTED: "Too much at once",
};

/** An error answered by the API ({code, message}) or met on the way to it. */
export class ApiError extends Error {
  constructor(code, message, status = 0) {
    super(message);
    this.code = code;
    this.status = status;
  }
  get codeName() {
    return CODE_NAMES[this.code] || `code ${this.code}`;
  }
}

/** One line of words for any error, naming the API's code. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return String(error && error.message ? error.message : error);
  const name = error.codeName;
  const words = CODE_WORDS[name];
  return words ? `${words} (${name}): ${error.message}` : `${name}: ${error.message}`;
}

/** A path from segments, each percent-encoded. */
export function path(strings, ...values) {
  return strings.reduce(
    (out, part, i) => out + part + (i < values.length ? encodeURIComponent(values[i]) : ""), "");
}

/** One unary call; resolves to the reply JSON, rejects with ApiError. */
export async function call(verb, url, body, { timeout = 0 } = {}) {
  const controller = new AbortController();
  const timer = timeout ? setTimeout(() => controller.abort(), timeout) : null;
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  let response;
  try {
    response = await fetch(url, {
      method: verb, headers, signal: controller.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    if (controller.signal.aborted) {
      throw new ApiError(4, `no answer within ${timeout / 1000} s`);
    }
    throw new ApiError(14, `the dashboard's node did not answer (${error.message})`);
  } finally {
    if (timer) clearTimeout(timer);
  }
  return readReply(response);
}

async function readReply(response) {
  const text = await response.text();
  let document = {};
  try {
    document = text ? JSON.parse(text) : {};
  } catch {
    if (!response.ok) throw new ApiError(2, `HTTP ${response.status} ${response.statusText}`, response.status);
    throw new ApiError(2, "the reply was not JSON");
  }
  if (!response.ok) {
    throw new ApiError(document.code ?? 2, document.message ?? response.statusText, response.status);
  }
  return document;
}

/**
 * Follow a server-sent event stream. Calls onMessage(json) per event, onError(ApiError) once
 * when it fails, onEnd() when the server ends it cleanly. Returns a function that closes it.
 */
export function stream(url, { method = "GET", body, onMessage, onError, onEnd, onOpen }) {
  const controller = new AbortController();
  const headers = { accept: "text/event-stream" };
  if (body !== undefined) headers["content-type"] = "application/json";
  const run = async () => {
    const response = await fetch(url, {
      method, headers, signal: controller.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) await readReply(response);
    performance.mark(`stream open ${url}`); // for timing pages in the browser's tools
    if (onOpen) onOpen();
    await readEvents(response.body.getReader(), onMessage);
    if (onEnd) onEnd();
  };
  run().catch((error) => {
    if (controller.signal.aborted) return;
    const failure = error instanceof ApiError
      ? error : new ApiError(14, `the stream broke (${error.message})`);
    controller.abort(); // let the connection go, whatever broke
    if (onError) onError(failure);
  });
  return () => controller.abort();
}

// Largest event kept while it arrives (the API's messages are at most 4 MiB of JSON).
const MAX_EVENT = 16 * 1024 * 1024;

async function readEvents(reader, onMessage) {
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    if (buffer.length > MAX_EVENT) throw new ApiError(8, "a stream event was larger than 16 MiB");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = parseEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (event.data === null) continue;
      const document = JSON.parse(event.data);
      if (event.name === "error") throw new ApiError(document.code ?? 2, document.message ?? "");
      if (event.name === "message") onMessage(document);
    }
  }
}

function parseEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  return { name, data: data.length ? data.join("\n") : null };
}

/**
 * The join-approvals WebSocket: onRequest(request) per pending join request; answer(id, accept)
 * sends a verdict; onClose(error|null) once it ends. Returns {answer, close}.
 */
export function approvals({ onRequest, onOpen, onClose }) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/v1/streams/hub-server/authentication-requests`);
  let failure = null;
  let closing = false;
  socket.onopen = () => onOpen && onOpen();
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.error) failure = new ApiError(frame.error.code ?? 2, frame.error.message ?? "");
    else if (frame.result) onRequest(frame.result);
  };
  socket.onclose = (event) => {
    if (closing) return;
    if (!failure && event.code !== 1000) {
      failure = new ApiError(14, "the approvals stream was refused or cut");
    }
    onClose(failure);
  };
  return {
    answer(requestId, accept) {
      socket.send(JSON.stringify({ requestId: String(requestId), accept }));
    },
    close() {
      closing = true;
      socket.close(1000);
    },
  };
}

/** A metric's number (64-bit values travel as strings), or null for non-numeric metrics. */
export function metricValue(metric) {
  for (const kind of ["uint64", "int64", "uint32", "int32", "float64", "float32"]) {
    if (metric[kind]) return Number(metric[kind].value ?? 0);
  }
  if (metric.boolean) return metric.boolean.value ? 1 : 0;
  return null;
}

/** A metric's unit and kind, when it has them. */
export function metricInfo(metric) {
  for (const kind of ["uint64", "int64", "uint32", "int32", "float64", "float32", "boolean"]) {
    if (metric[kind]) return { unit: metric[kind].unit ?? "", counter: metric[kind].kind === "COUNTER" };
  }
  return { unit: "", counter: false };
}
