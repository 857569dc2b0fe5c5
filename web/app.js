// WEST-TS web client: one WebSocket to /websocket/{text|json|pb}/{key}, a control panel and an event log.
// The wire formats are described in docs/protocol.md; each protocol below turns a command into a frame and a
// received frame back into the common message fields (event, channel, from, id, data).

const $ = (id) => document.getElementById(id);

const ui = {
  connectForm: $("connect-form"),
  key: $("key"),
  endpoint: $("endpoint"),
  connect: $("connect"),
  ping: $("ping"),
  disconnect: $("disconnect"),
  status: $("status"),
  statusText: $("status-text"),
  channel: $("channel"),
  message: $("message"),
  commandButtons: [...document.querySelectorAll("[data-command]")],
  enterAction: $("enter-action"),
  log: $("log"),
  clearLog: $("clear-log"),
};

const MAX_LOG_ENTRIES = 1000;

const CLOSE_CODES = {
  1000: "normal closure",
  1001: "server shutting down",
  1006: "connection lost or refused",
  1007: "invalid UTF-8",
  1008: "refused by policy",
  1009: "frame too large",
  1011: "server fault",
  1013: "server full, try again later",
  4001: "slow consumer",
  4002: "rate limit exceeded",
};

// ---- UTF-8 ----

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function bytesAsText(bytes) {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return `(${bytes.length} bytes, not UTF-8) ${hex(bytes)}`;
  }
}

function hex(bytes, limit = 24) {
  const shown = [...bytes.slice(0, limit)].map((byte) => byte.toString(16).padStart(2, "0"));
  return shown.join(" ") + (bytes.length > limit ? " …" : "");
}

// ---- protocols ----

const TEXT_VERBS = {
  register: "reg",
  unregister: "unreg",
  subscribe: "sub",
  unsubscribe: "unsub",
  send: "send",
  publish: "pub",
};

/** A MSG word of the text protocol: quoted, with \" and \\ escapes, unless it is one plain word. */
function textWord(data) {
  if (/^[^\s"\\]+$/.test(data)) return data;
  return `"${data.replace(/[\\"]/g, "\\$&")}"`;
}

function splitOnce(text, separator) {
  const at = text.indexOf(separator);
  return at === -1 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

/** `west r1:registration_succeeded`, `u2 ps1:new_message All`, `west:action_not_allowed`, `pong`. */
function parseTextFrame(frame) {
  const [head, rest] = splitOnce(frame, " ");
  if (rest === undefined) {
    const [from, event] = splitOnce(head, ":");
    return event === undefined ? { event: from, from: "west" } : { event, from };
  }
  const [target, data] = splitOnce(rest, " ");
  // Channel names may contain ':', event names never do.
  const colon = target.lastIndexOf(":");
  if (colon === -1) return { event: target, from: head, data };
  return { event: target.slice(colon + 1), channel: target.slice(0, colon), from: head, data };
}

const textProtocol = {
  usesIds: false,
  encode({ event, channel, data }) {
    if (event === "ping") return "ping";
    const words = [TEXT_VERBS[event], channel];
    if (data !== undefined) words.push(textWord(data));
    return words.join(" ");
  },
  decode: parseTextFrame,
  describe: (frame) => frame,
};

const jsonProtocol = {
  usesIds: true,
  encode: (command) => JSON.stringify(command),
  decode(frame) {
    const message = JSON.parse(frame);
    if (message.encoding === "base64") message.data = `base64:${message.data}`;
    else if (message.data !== undefined && typeof message.data !== "string")
      message.data = JSON.stringify(message.data);
    return message;
  },
  describe: (frame) => frame,
};

const PbMessage = new protobuf.Type("Message")
  .add(new protobuf.Field("event", 1, "string", "required"))
  .add(new protobuf.Field("channel", 2, "string", "optional"))
  .add(new protobuf.Field("from", 3, "string", "optional"))
  .add(new protobuf.Field("id", 4, "string", "optional"))
  .add(new protobuf.Field("data", 5, "bytes", "optional"));
new protobuf.Root().add(PbMessage);

const pbProtocol = {
  usesIds: true,
  encode({ data, ...fields }) {
    const message = data === undefined ? fields : { ...fields, data: utf8Encoder.encode(data) };
    return PbMessage.encode(message).finish();
  },
  decode(frame) {
    // The server answers a text frame on this endpoint with the text frame `bad_encoding`.
    if (typeof frame === "string") return { event: frame, from: "west" };
    const message = PbMessage.toObject(PbMessage.decode(new Uint8Array(frame)));
    if (message.data !== undefined) message.data = bytesAsText(message.data);
    return message;
  },
  describe(frame) {
    if (typeof frame === "string") return `text frame: ${frame}`;
    const bytes = frame instanceof ArrayBuffer ? new Uint8Array(frame) : frame;
    return `binary, ${bytes.length} bytes: ${hex(bytes)}`;
  },
};

const PROTOCOLS = { text: textProtocol, json: jsonProtocol, pb: pbProtocol };

// ---- connection ----

/** The open (or opening) connection: { ws, protocol, key, nextId, opened }, or null. */
let connection = null;
let enterCommand = "publish";

function selectedProtocol() {
  return document.querySelector('input[name="protocol"]:checked').value;
}

function endpointUrl(protocol, key) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/websocket/${protocol}/${encodeURIComponent(key)}`;
}

function connect() {
  if (connection !== null) return;
  const protocolName = selectedProtocol();
  const key = ui.key.value.trim();
  const url = endpointUrl(protocolName, key);
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  connection = { ws, protocol: PROTOCOLS[protocolName], key, nextId: 1, opened: false };
  ws.addEventListener("open", () => onOpen(ws, protocolName, key));
  ws.addEventListener("message", (event) => onFrame(ws, event.data));
  ws.addEventListener("close", (event) => onClose(ws, event));
  setStatus("connecting", `Connecting as ${key}…`);
  logNote("info", `connecting to ${url}`);
}

function onOpen(ws, protocolName, key) {
  if (connection?.ws !== ws) return;
  connection.opened = true;
  setStatus("connected", `Connected as ${key} (${protocolName})`);
  logNote("info", `connected as ${key} using the ${protocolName} protocol`);
  ui.channel.focus();
}

function onFrame(ws, frame) {
  if (connection?.ws !== ws) return;
  let message;
  try {
    message = connection.protocol.decode(frame);
  } catch (error) {
    logNote("error", `could not read a frame (${error.message}): ${connection.protocol.describe(frame)}`);
    return;
  }
  logMessage("in", message, connection.protocol.describe(frame));
}

function onClose(ws, { code, reason }) {
  if (connection?.ws !== ws) return;
  const wasOpen = connection.opened;
  connection = null;
  const meaning = CLOSE_CODES[code] ?? "closed";
  const details = `${code} (${reason && reason !== meaning ? `${meaning}: ${reason}` : meaning})`;
  if (!wasOpen)
    logNote("error", `could not connect, code ${details}; check the key and that the server runs`);
  else logNote(code === 1000 ? "info" : "error", `connection closed, code ${details}`);
  setStatus("disconnected", code === 1000 ? "Disconnected" : `Disconnected (${code})`);
}

function disconnect() {
  connection?.ws.close(1000, "bye");
}

/** Sends one command; JSON and protobuf commands carry an id that their reply brings back. */
function transmit(fields) {
  if (connection?.opened !== true) return;
  const { protocol } = connection;
  const command = protocol.usesIds ? { ...fields, id: String(connection.nextId++) } : fields;
  const frame = protocol.encode(command);
  connection.ws.send(frame);
  logMessage("out", command, protocol.describe(frame));
}

function runCommand(event) {
  const fields = { event, channel: ui.channel.value.trim() };
  if (event === "send" || event === "publish") {
    fields.data = ui.message.value;
    setEnterCommand(event);
  }
  transmit(fields);
}

function setEnterCommand(event) {
  enterCommand = event;
  for (const button of ui.commandButtons)
    button.classList.toggle("default", button.dataset.command === event);
  ui.enterAction.textContent = event === "send" ? "Send" : "Publish";
}

// ---- status ----

function setStatus(state, text) {
  ui.status.dataset.state = state;
  ui.statusText.textContent = text;
  const open = state === "connected";
  const idle = state === "disconnected";
  ui.key.disabled = !idle;
  for (const radio of document.querySelectorAll('input[name="protocol"]')) radio.disabled = !idle;
  ui.connect.disabled = !idle;
  ui.disconnect.disabled = idle;
  ui.ping.disabled = !open;
  for (const button of ui.commandButtons) button.disabled = !open;
}

function showEndpoint() {
  ui.endpoint.textContent = endpointUrl(selectedProtocol(), ui.key.value.trim() || "…");
}

// ---- event log ----

/** ok, warn, error or delivery: how a received event is coloured. */
function kindOf(event) {
  if (event === "new_message") return "delivery";
  if (event === "pong" || event.endsWith("_succeeded")) return "ok";
  if (event.endsWith("_already_exist") || event.endsWith("_not_found")) return "warn";
  return "error";
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function timestamp() {
  const now = new Date();
  return `${now.toTimeString().slice(0, 8)}.${String(now.getMilliseconds()).padStart(3, "0")}`;
}

function newEntry(direction, kind) {
  const entry = element("li", `entry ${direction} ${kind}`);
  entry.dataset.testid = "log-entry";
  entry.dataset.direction = direction;
  entry.dataset.kind = kind;
  const arrow = element("span", "arrow", { out: "→", in: "←" }[direction] ?? "•");
  arrow.title = { out: "sent", in: "received" }[direction] ?? "note";
  entry.append(element("time", "time", timestamp()), arrow);
  return entry;
}

function tag(name, value) {
  const chip = element("span", "tag");
  chip.append(element("span", "tag-name", name), element("span", "tag-value", String(value)));
  return chip;
}

function logMessage(direction, message, raw) {
  const kind = direction === "out" ? "command" : kindOf(message.event);
  const entry = newEntry(direction, kind);
  for (const field of ["event", "channel", "from", "id"]) {
    if (message[field] !== undefined) entry.dataset[field] = message[field];
  }
  const summary = element("div", "summary");
  summary.append(element("strong", "event", message.event));
  if (message.from !== undefined && message.from !== "west") summary.append(tag("from", message.from));
  if (message.channel !== undefined && message.channel !== "")
    summary.append(tag("channel", message.channel));
  if (message.id !== undefined) summary.append(tag("id", message.id));
  const body = element("div", "body");
  body.append(summary);
  if (message.data !== undefined) {
    const data = element("div", "data", message.data);
    data.dataset.testid = "entry-data";
    body.append(data);
  }
  body.append(element("code", "raw", raw));
  entry.append(body);
  appendEntry(entry);
}

function logNote(kind, text) {
  const entry = newEntry("note", kind);
  entry.append(element("div", "body note-text", text));
  appendEntry(entry);
}

function appendEntry(entry) {
  const { log } = ui;
  const followingTail = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(entry);
  while (log.childElementCount > MAX_LOG_ENTRIES) log.firstElementChild.remove();
  if (followingTail) log.scrollTop = log.scrollHeight;
}

// ---- wiring ----

function onEnter(input, action) {
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.isComposing) return;
    event.preventDefault();
    action();
  });
}

function start() {
  ui.key.value = `user-${Math.random().toString(36).slice(2, 6)}`;
  ui.connectForm.addEventListener("submit", (event) => {
    event.preventDefault();
    connect();
  });
  ui.connectForm.addEventListener("input", showEndpoint);
  ui.ping.addEventListener("click", () => transmit({ event: "ping" }));
  ui.disconnect.addEventListener("click", disconnect);
  for (const button of ui.commandButtons) {
    button.addEventListener("click", () => runCommand(button.dataset.command));
  }
  onEnter(ui.channel, () => ui.message.focus());
  onEnter(ui.message, () => runCommand(enterCommand));
  ui.clearLog.addEventListener("click", () => ui.log.replaceChildren());
  setEnterCommand(enterCommand);
  setStatus("disconnected", "Disconnected");
  showEndpoint();
}

start();
