// WEST-TS web client: a control panel, the connection's channels and an event log. JSON and protobuf go through
// the client SDK (docs/client.md), which reconnects by itself, makes the page's registrations and subscriptions
// again (subscriptions recovering what they missed) and hands every frame to the log; the text protocol, which the
// SDK does not speak, is one WebSocket of the page's own. The wire formats are described in docs/protocol.md.
// This page's URL may carry ?token=JWT (fills Token) and ?server=http://host:port (another node than the one
// that served the page; that node's allowedOrigins must list this page's origin).

import { WestClient } from "./client/west-client.js";

const $ = (id) => document.getElementById(id);

const ui = {
  connectForm: $("connect-form"),
  key: $("key"),
  token: $("token"),
  endpoint: $("endpoint"),
  connect: $("connect"),
  ping: $("ping"),
  disconnect: $("disconnect"),
  reconnect: $("reconnect"),
  status: $("status"),
  statusText: $("status-text"),
  state: $("connection-state"),
  stateText: $("state-text"),
  stateHint: $("state-hint"),
  refusal: $("refusal"),
  refusalStatus: $("refusal-status"),
  refusalReason: $("refusal-reason"),
  channel: $("channel"),
  channelError: $("channel-error"),
  message: $("message"),
  commandButtons: [...document.querySelectorAll("[data-command]")],
  enterAction: $("enter-action"),
  log: $("log"),
  clearLog: $("clear-log"),
  registrations: $("registrations"),
  registrationsCount: $("registrations-count"),
  subscriptions: $("subscriptions"),
  subscriptionsCount: $("subscriptions-count"),
};

const MAX_LOG_ENTRIES = 1000;

/** What each close code means (docs/protocol.md, "Close codes"). */
const CLOSE_CODES = {
  1000: "normal closure",
  1001: "the server is shutting down",
  1005: "closed without a code",
  1006: "connection lost: dropped without a close frame",
  1007: "invalid UTF-8 in a text frame",
  1008: "the token expired",
  1009: "a frame over the size limit",
  1011: "unexpected server fault",
  1013: "the node is at its connection limit, try again later",
  4001: "slow consumer: this page did not read fast enough",
  4002: "rate limit exceeded",
  4003: "disconnected by the server's API",
  4004: "missed publications could not be filled: resubscribe",
};

/** The server's default limit on channel names (option maxChannelBytes). */
const MAX_CHANNEL_BYTES = 256;

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
  encode({ event, channel, data }) {
    if (event === "ping") return "ping";
    const words = [TEXT_VERBS[event], channel];
    if (data !== undefined) words.push(textWord(data));
    return words.join(" ");
  },
  decode: parseTextFrame,
  describe: (frame) => frame,
};

/** How a frame of the SDK's connection shows in the log: JSON as its text, protobuf as bytes. */
function describeFrame(frame) {
  if (typeof frame === "string") return frame;
  const bytes = frame instanceof ArrayBuffer ? new Uint8Array(frame) : frame;
  return `binary, ${bytes.length} bytes: ${hex(bytes)}`;
}

/** A message's data as the log shows it: text as is, bytes as UTF-8 when they are, other values as JSON. */
function shownData(data) {
  if (data === undefined || typeof data === "string") return data;
  if (data instanceof Uint8Array) return bytesAsText(data);
  return JSON.stringify(data);
}

// ---- names ----

// As the server's names (src/core/names.ts): no whitespace, control (Cc), format (Cf, invisible: U+200B,
// U+202E, ...) or lone surrogate (Cs) characters, and no `"`.
const FORBIDDEN_IN_NAMES = /[\s"\p{Cc}\p{Cf}\p{Cs}]/u;

function codePoint(character) {
  return `U+${character.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

function describeCharacter(character) {
  if (character === " ") return "a space";
  if (character === '"') return 'a double quote (")';
  if (/\s/u.test(character)) return `whitespace (${codePoint(character)})`;
  if (/\p{Cc}/u.test(character)) return `a control character (${codePoint(character)})`;
  if (/\p{Cf}/u.test(character)) return `an invisible format character (${codePoint(character)})`;
  return `a lone surrogate (${codePoint(character)})`;
}

/** Why the server would refuse `name` as a channel, or undefined when it is valid. */
function channelProblem(name) {
  if (name === "") return "Enter a channel name.";
  const forbidden = FORBIDDEN_IN_NAMES.exec(name);
  if (forbidden !== null) return `A channel name cannot contain ${describeCharacter(forbidden[0])}.`;
  const bytes = utf8Encoder.encode(name).length;
  if (bytes > MAX_CHANNEL_BYTES)
    return `A channel name is at most ${MAX_CHANNEL_BYTES} bytes of UTF-8; this one has ${bytes}.`;
  return undefined;
}

function showChannelProblem(problem) {
  ui.channelError.textContent = problem ?? "";
  ui.channelError.hidden = problem === undefined;
  ui.channel.toggleAttribute("aria-invalid", problem !== undefined);
}

/** The `sub` of a JWT, read without verifying it (the server verifies); undefined if it has none. */
function tokenSubject(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const { sub } = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
    return typeof sub === "string" && sub !== "" ? sub : undefined;
  } catch {
    return undefined;
  }
}

// ---- connection ----

/** The node to talk to: ?server= in this page's URL, else the node that served the page. */
const server = nodeOrigin();

function nodeOrigin() {
  const asked = new URLSearchParams(location.search).get("server");
  try {
    if (asked !== null && asked !== "") return new URL(asked).origin;
  } catch {
    // An unusable ?server= falls back to this page's own node; the endpoint shows which.
  }
  return location.origin;
}

/**
 * The open (or opening) connection, or null: the text protocol's { kind: "text", ws, settings, opened,
 * closedByUser, pending } (`pending`: the commands sent and not yet answered, oldest first), or the SDK's
 * { kind: "sdk", client, settings, opened, registrations, subscriptions } (channel -> the SDK's object).
 */
let connection = null;
/** The settings of the last attempt, for Reconnect. */
let lastSettings = null;
/** Counts attempts, so that the explanation of an old refusal does not land on a newer attempt. */
let attempts = 0;
let enterCommand = "publish";

function formSettings() {
  return {
    protocol: document.querySelector('input[name="protocol"]:checked').value,
    key: ui.key.value.trim(),
    token: ui.token.value.trim(),
  };
}

/** Where the node's WebSocket endpoints are: the node writes its `path` into the page's meta tag. */
const endpointsBase = document.querySelector('meta[name="west-path"]')?.content || "/websocket";

/**
 * `PATH/{protocol}[/{key}][?token=...]`; without a key, a node with auth on takes the token's subject.
 * `hideToken`: the token shows as `…` (for the page and its log).
 */
function endpointPath({ protocol, key, token }, hideToken = false) {
  const keyPart = key === "" ? "" : `/${encodeURIComponent(key)}`;
  const query = token === "" ? "" : `?token=${hideToken ? "…" : encodeURIComponent(token)}`;
  return `${endpointsBase}/${protocol}${keyPart}${query}`;
}

function websocketUrl(settings, hideToken = false) {
  return server.replace(/^http/, "ws") + endpointPath(settings, hideToken);
}

function connect(settings) {
  if (connection !== null) return;
  attempts++;
  lastSettings = settings;
  if (settings.protocol === "text") connectText(settings);
  else connectSdk(settings);
}

function connectText(settings) {
  const url = websocketUrl(settings);
  const shownUrl = websocketUrl(settings, true);
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (error) {
    setState("disconnected", "Refused", `Cannot open ${shownUrl}: ${error.message}`);
    return;
  }
  ws.binaryType = "arraybuffer";
  connection = { kind: "text", ws, settings, opened: false, closedByUser: false, pending: [] };
  ws.addEventListener("open", () => onOpen(ws));
  ws.addEventListener("message", (event) => onFrame(ws, event.data));
  ws.addEventListener("close", (event) => onClose(ws, event));
  setState("connecting", "Connecting…", `Connecting to ${shownUrl}…`);
  logNote("info", `connecting to ${shownUrl}`);
}

/** The key a connection has: the URL's, else the token's subject. */
function keyOf({ key, token }) {
  return key !== "" ? key : (tokenSubject(token) ?? "the token's subject");
}

function onOpen(ws) {
  if (connection?.ws !== ws) return;
  connection.opened = true;
  const { settings } = connection;
  const who = `${keyOf(settings)} (${settings.protocol})`;
  setState("connected", `Connected as ${keyOf(settings)}`, `Connected to ${server} as ${who}.`);
  logNote("info", `connected as ${who}`);
  ui.channel.focus();
}

function onFrame(ws, frame) {
  if (connection?.ws !== ws) return;
  let message;
  try {
    message = textProtocol.decode(frame);
  } catch (error) {
    logNote("error", `could not read a frame (${error.message}): ${frame}`);
    return;
  }
  logMessage("in", message, frame);
  trackChannels(message, answeredCommand(message));
}

function onClose(ws, { code, reason }) {
  if (connection?.ws !== ws) return;
  const { opened, closedByUser, settings } = connection;
  connection = null;
  clearChannels();
  const details = closeDetails(code, reason);
  if (closedByUser) {
    setState("disconnected", "Disconnected", `Disconnected (${details}).`, { code });
    logNote("info", `connection closed, ${details}`);
  } else if (opened) {
    setState("disconnected", `Disconnected (${code})`, `Disconnected: ${details}.`, { code, error: true });
    logNote(code === 1000 ? "info" : "error", `connection closed, ${details}`);
  } else {
    // A refused upgrade reaches a page only as 1006: ask the node the same question over plain HTTP.
    setState("disconnected", "Not connected", `Could not connect (${details}); asking the node why…`, {
      code,
      error: true,
    });
    explainRefusal(settings, attempts);
  }
}

/** "code 1001, the server is shutting down", with the close frame's reason when it says more. */
function closeDetails(code, reason) {
  const meaning = CLOSE_CODES[code] ?? "closed";
  return `code ${code}, ${reason && reason !== meaning ? `${meaning}: ${reason}` : meaning}`;
}

/** Fetches the admission check (the same URL, no upgrade) and shows its status and body. */
async function explainRefusal(settings, attempt) {
  const checkUrl = server + endpointPath(settings);
  let status;
  let statusText;
  let body;
  try {
    const response = await fetch(checkUrl, { cache: "no-store" });
    status = response.status;
    statusText = response.statusText;
    body = (await response.text()).trim();
  } catch {
    if (attempt !== attempts || connection !== null) return;
    const text = `No answer from ${server}: is the node running, and does it allow this page's origin?`;
    setState("disconnected", "Unreachable", text, { error: true });
    logNote("error", text);
    return;
  }
  if (attempt !== attempts || connection !== null) return;
  if (status === 200) {
    const text = "The node admits this URL, yet the WebSocket did not open (code 1006).";
    setState("disconnected", "Not connected", text, { error: true });
    showHint("A proxy between this page and the node may not pass WebSockets; try Reconnect.");
    logNote("error", text);
    return;
  }
  const headline = `${status} ${statusText || HTTP_STATUS_TEXT[status] || ""}`.trim();
  setState("disconnected", `Refused (${status})`, "The node refused the connection:", { error: true });
  ui.refusal.hidden = false;
  ui.refusal.dataset.status = String(status);
  ui.refusalStatus.textContent = headline;
  ui.refusalReason.textContent = body;
  showHint(refusalHint(status, body));
  logNote("error", `connection refused: ${headline}${body === "" ? "" : `, ${body}`}`);
}

const HTTP_STATUS_TEXT = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

function refusalHint(status, body) {
  if (status === 400) return "Change the key.";
  if (status === 401) return "Enter a valid token in Token (or ?token= in this page's URL).";
  if (status === 403 && /origin/i.test(body))
    return `The node's allowedOrigins must list this page's origin, ${location.origin}.`;
  if (status === 403) return "Use the token's subject as the key, or leave Key empty.";
  if (status === 404) return "Check the protocol and the key.";
  if (status === 503) return "Try again shortly.";
  return "";
}

function showHint(hint) {
  ui.stateHint.textContent = hint;
  ui.stateHint.hidden = hint === "";
}

function disconnect() {
  if (connection === null) return;
  connection.closedByUser = true;
  if (connection.kind === "text") {
    connection.ws.close(1000, "bye");
    return;
  }
  connection.client.close();
  connection = null;
  clearChannels();
  setState("disconnected", "Disconnected", "Disconnected (code 1000, normal closure).", { code: 1000 });
  logNote("info", "connection closed, code 1000, normal closure");
}

/** Sends one command: as a text frame, or through the SDK (whose frames the log shows as they go). */
function transmit(fields) {
  if (connection?.opened !== true) return;
  if (connection.kind === "sdk") {
    sdkCommand(connection, fields);
    return;
  }
  const frame = textProtocol.encode(fields);
  connection.ws.send(frame);
  connection.pending.push(fields);
  logMessage("out", fields, frame);
}

// ---- the SDK's connection (JSON and protobuf) ----

function connectSdk(settings) {
  const shownUrl = websocketUrl(settings, true);
  const client = new WestClient(server.replace(/^http/, "ws"), {
    protocol: settings.protocol,
    path: endpointsBase,
    ...(settings.key === "" ? {} : { key: settings.key }),
    ...(settings.token === "" ? {} : { token: settings.token }),
  });
  const own = {
    kind: "sdk",
    client,
    settings,
    opened: false,
    unreachable: false,
    lastDrop: undefined,
    registrations: new Map(),
    subscriptions: new Map(),
  };
  connection = own;
  client.on("frame", (direction, message, frame) => {
    if (connection === own)
      logMessage(direction, { ...message, data: shownData(message.data) }, describeFrame(frame));
  });
  client.on("state", (state, info) => {
    if (connection === own) sdkState(own, state, info, shownUrl);
  });
  client.on("error", (error) => logNote("error", error instanceof Error ? error.message : String(error)));
  setState("connecting", "Connecting…", `Connecting to ${shownUrl}…`);
  logNote("info", `connecting to ${shownUrl}`);
  client.connect().catch(() => undefined);
}

/** The SDK's connection states as the page shows them; while it reconnects by itself, the page says so. */
function sdkState(own, state, info, shownUrl) {
  const { settings } = own;
  if (state === "connected") {
    const who = `${keyOf(settings)} (${settings.protocol})`;
    setState("connected", `Connected as ${keyOf(settings)}`, `Connected to ${server} as ${who}.`);
    logNote(
      "info",
      own.opened ? `reconnected as ${who}; its channels are being made again` : `connected as ${who}`,
    );
    if (!own.opened) ui.channel.focus();
    own.opened = true;
    own.unreachable = false;
    own.lastDrop = undefined;
    return;
  }
  if (state === "connecting") {
    // While nothing answers, the page keeps saying so rather than flashing each attempt.
    // After a drop, why it dropped stays in view (with its code) until the connection is back.
    if (own.opened && !own.unreachable)
      setState("connecting", "Reconnecting…", own.lastDrop ?? `Reconnecting to ${shownUrl}…`, {
        code: ui.state.dataset.code,
        error: own.lastDrop !== undefined,
      });
    return;
  }
  if (state === "disconnected" && info?.reason === "refused") {
    // A refused upgrade will be refused again: stop, and ask the node why (with its reason in words).
    own.client.close();
    connection = null;
    clearChannels();
    setState("disconnected", "Not connected", "Could not connect; asking the node why…", { error: true });
    explainRefusal(settings, attempts);
    return;
  }
  if (state === "disconnected" && info?.reason === "keepalive") {
    setState("connecting", "Reconnecting…", "The connection went silent; reconnecting…", { error: true });
    logNote("error", "the connection went silent (no answer to a ping); reconnecting");
    return;
  }
  if (state === "disconnected" && info?.code === undefined) {
    if (own.unreachable) return;
    own.unreachable = true;
    const text = `No answer from ${server}: is the node running, and does it allow this page's origin? Trying again…`;
    setState("connecting", "Unreachable", text, { error: true });
    logNote("error", text);
    return;
  }
  if (state === "disconnected") {
    const details = closeDetails(info.code, "");
    own.lastDrop = `Disconnected: ${details}. Reconnecting…`;
    setState("connecting", `Disconnected (${info.code})`, own.lastDrop, {
      code: info.code,
      error: true,
    });
    logNote("error", `connection closed, ${details}; reconnecting`);
    return;
  }
  if (state === "closed" && info !== undefined) {
    connection = null;
    clearChannels();
    const details = closeDetails(info.code, "");
    setState("disconnected", `Disconnected (${info.code})`, `Disconnected: ${details}.`, {
      code: info.code,
      error: true,
    });
    logNote("error", `connection closed, ${details}`);
  }
}

/** Runs a command of the control panel on the SDK's client; the replies show in the log as frames. */
function sdkCommand(own, { event, channel, data }) {
  const { client } = own;
  const shownInLog = () => undefined;
  switch (event) {
    case "ping":
      return void client.ping().catch(shownInLog);
    case "send":
      return void client.send(channel, data).catch(shownInLog);
    case "publish":
      return void client.publish(channel, data).catch(shownInLog);
    case "register":
      return sdkRegister(own, channel);
    case "subscribe":
      return sdkSubscribe(own, channel);
    case "unregister":
    case "unsubscribe": {
      const held = event === "unregister" ? own.registrations : own.subscriptions;
      const made = held.get(channel);
      if (made === undefined) {
        logNote(
          "warn",
          `${channel}: this page has not ${event === "unregister" ? "registered" : "subscribed"} it`,
        );
        return;
      }
      held.delete(channel);
      removeChannel(event === "unregister" ? channels.registrations : channels.subscriptions, channel);
      (event === "unregister" ? made.unregister() : made.unsubscribe()).catch(shownInLog);
    }
  }
}

/** A registration that the SDK keeps: claimed again after every reconnect until it is lost or unregistered. */
function sdkRegister(own, channel) {
  if (own.registrations.has(channel)) {
    logNote("warn", `${channel}: this page has registered it already (and keeps it across reconnects)`);
    return;
  }
  const registration = own.client.register(channel);
  own.registrations.set(channel, registration);
  const forget = () => {
    if (own.registrations.get(channel) === registration) own.registrations.delete(channel);
    removeChannel(channels.registrations, channel);
  };
  registration.on("registered", () => addChannel(channels.registrations, channel));
  registration.on("registration_lost", forget);
  registration.on("error", forget);
}

/** A subscription that the SDK keeps, recovering after a reconnect what was published meanwhile. */
function sdkSubscribe(own, channel) {
  if (own.subscriptions.has(channel)) {
    logNote("warn", `${channel}: this page has subscribed it already (and keeps it across reconnects)`);
    return;
  }
  const subscription = own.client.subscribe(channel, () => undefined, { recover: true });
  own.subscriptions.set(channel, subscription);
  let again = false;
  subscription.on("subscribed", ({ recovered, offset }) => {
    addChannel(channels.subscriptions, channel);
    if (again && offset !== undefined)
      logNote(
        recovered ? "info" : "warn",
        recovered
          ? `${channel}: subscribed again, with what was published meanwhile`
          : `${channel}: subscribed again; what was published meanwhile could not be recovered`,
      );
    again = true;
  });
  subscription.on("error", () => {
    if (own.subscriptions.get(channel) === subscription) own.subscriptions.delete(channel);
    removeChannel(channels.subscriptions, channel);
  });
}

function runCommand(event, channel = ui.channel.value.trim()) {
  const problem = channelProblem(channel);
  showChannelProblem(problem);
  if (problem !== undefined) {
    ui.channel.focus();
    return;
  }
  const fields = { event, channel };
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

// ---- state ----

/**
 * connecting, connected or disconnected: the pill in the top bar (`short`), the state box (`text`, and the
 * close code) and which controls work.
 */
function setState(state, short, text, { code, error = false } = {}) {
  ui.status.dataset.state = state;
  ui.statusText.textContent = short;
  ui.state.dataset.state = state;
  ui.state.classList.toggle("failed", error);
  ui.status.classList.toggle("failed", error);
  if (code === undefined) delete ui.state.dataset.code;
  else ui.state.dataset.code = String(code);
  ui.stateText.textContent = text;
  ui.refusal.hidden = true;
  delete ui.refusal.dataset.status;
  showHint("");
  const open = state === "connected";
  const idle = state === "disconnected";
  ui.key.disabled = !idle;
  ui.token.disabled = !idle;
  for (const radio of document.querySelectorAll('input[name="protocol"]')) radio.disabled = !idle;
  ui.connect.disabled = !idle;
  ui.reconnect.hidden = !idle || lastSettings === null;
  ui.disconnect.disabled = idle;
  ui.ping.disabled = !open;
  for (const button of ui.commandButtons) button.disabled = !open;
}

function reconnect() {
  if (lastSettings === null) return;
  ui.key.value = lastSettings.key;
  ui.token.value = lastSettings.token;
  document.querySelector(`input[name="protocol"][value="${lastSettings.protocol}"]`).checked = true;
  showEndpoint();
  connect(lastSettings);
}

function showEndpoint() {
  const settings = formSettings();
  ui.key.required = settings.token === "";
  const missingKey = settings.key === "" && settings.token === "";
  ui.endpoint.textContent = websocketUrl(settings, true) + (missingKey ? "/…" : "");
}

// ---- the connection's channels ----

const channels = {
  registrations: { list: ui.registrations, count: ui.registrationsCount, release: "unregister" },
  subscriptions: { list: ui.subscriptions, count: ui.subscriptionsCount, release: "unsubscribe" },
};

/** Events that answer no command: deliveries and notices. */
const NOT_REPLIES = new Set(["new_message", "registration_lost", "join", "leave"]);

/** The command that `message` answers (by its id; text replies come in order), taken off the pending list. */
function answeredCommand(message) {
  if (NOT_REPLIES.has(message.event)) return undefined;
  const { pending } = connection;
  const at = message.id === undefined ? 0 : pending.findIndex((command) => command.id === message.id);
  return at === -1 ? undefined : pending.splice(at, 1)[0];
}

/** Keeps the channels panel in step with the replies and notices. */
function trackChannels(message, command) {
  const channel = message.channel ?? command?.channel;
  if (channel === undefined || channel === "") return;
  switch (message.event) {
    case "registration_succeeded":
    case "registration_already_exist":
      return addChannel(channels.registrations, channel);
    case "unregistration_succeeded":
    case "registration_lost":
      return removeChannel(channels.registrations, channel);
    case "registration_not_found":
      if (command?.event === "unregister") removeChannel(channels.registrations, channel);
      return;
    case "subscription_succeeded":
    case "subscription_already_exist":
      return addChannel(channels.subscriptions, channel);
    case "unsubscription_succeeded":
      return removeChannel(channels.subscriptions, channel);
    case "subscription_not_found":
      if (command?.event === "unsubscribe") removeChannel(channels.subscriptions, channel);
      return;
  }
}

function chipOf(kind, channel) {
  return [...kind.list.children].find((chip) => chip.dataset.channel === channel);
}

function addChannel(kind, channel) {
  if (chipOf(kind, channel) !== undefined) return;
  const chip = element("li", "chip");
  chip.dataset.channel = channel;
  chip.dataset.testid = "channel-chip";
  const name = element("button", "chip-name", channel);
  name.type = "button";
  name.title = `Use ${channel} in Channel`;
  name.addEventListener("click", () => {
    ui.channel.value = channel;
    showChannelProblem(undefined);
    ui.message.focus();
  });
  const release = element("button", "chip-release", "×");
  release.type = "button";
  release.title = `${kind.release === "unregister" ? "Unregister" : "Unsubscribe"} ${channel}`;
  release.setAttribute("aria-label", release.title);
  release.addEventListener("click", () => runCommand(kind.release, channel));
  chip.append(name, release);
  kind.list.append(chip);
  kind.count.textContent = String(kind.list.childElementCount);
}

function removeChannel(kind, channel) {
  chipOf(kind, channel)?.remove();
  kind.count.textContent = String(kind.list.childElementCount);
}

function clearChannels() {
  for (const kind of Object.values(channels)) {
    kind.list.replaceChildren();
    kind.count.textContent = "0";
  }
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
  if (message.reason !== undefined && message.reason !== "") {
    const reason = element("div", "reason", message.reason);
    reason.dataset.testid = "entry-reason";
    body.append(reason);
  }
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

/** A token's subject becomes the key (a key other than the subject is refused with 403). */
function keyFromToken() {
  const subject = tokenSubject(ui.token.value.trim());
  if (subject !== undefined) ui.key.value = subject;
  showEndpoint();
}

function start() {
  const token = new URLSearchParams(location.search).get("token");
  ui.key.value = `user-${Math.random().toString(36).slice(2, 6)}`;
  if (token !== null) {
    ui.token.value = token;
    keyFromToken();
  }
  ui.connectForm.addEventListener("submit", (event) => {
    event.preventDefault();
    connect(formSettings());
  });
  ui.connectForm.addEventListener("input", showEndpoint);
  ui.token.addEventListener("change", keyFromToken);
  ui.reconnect.addEventListener("click", reconnect);
  ui.ping.addEventListener("click", () => transmit({ event: "ping" }));
  ui.disconnect.addEventListener("click", disconnect);
  for (const button of ui.commandButtons) {
    button.addEventListener("click", () => runCommand(button.dataset.command));
  }
  ui.channel.addEventListener("input", () => {
    const name = ui.channel.value.trim();
    showChannelProblem(name === "" ? undefined : channelProblem(name));
  });
  onEnter(ui.channel, () => ui.message.focus());
  onEnter(ui.message, () => runCommand(enterCommand));
  ui.clearLog.addEventListener("click", () => ui.log.replaceChildren());
  setEnterCommand(enterCommand);
  setState("disconnected", "Disconnected", "Not connected.");
  showEndpoint();
}

start();
