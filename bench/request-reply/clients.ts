import WebSocket from "ws";

/** One side of a request/reply pair, as a load client speaks it over `ws`. */
export interface RequesterClient {
  /** Sends one request to `channel` and resolves when its response arrives. */
  request(channel: string, payload: string): Promise<void>;
  close(): void;
}

export type Protocol = "west" | "nats";

const OPEN_TIMEOUT_MS = 10_000;

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection to ${url}`)), OPEN_TIMEOUT_MS);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Waits for the first frame that `accept` takes, failing on `refuse`. */
function until(ws: WebSocket, accept: (text: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what}`)), OPEN_TIMEOUT_MS);
    const listener = (data: Buffer) => {
      if (!accept(data.toString())) return;
      clearTimeout(timer);
      ws.off("message", listener);
      resolve();
    };
    ws.on("message", listener);
  });
}

// WEST-TS: the JSON protocol.

/** An owner of `channel` that answers every request at once with `answer`. */
export async function westResponder(
  url: string,
  key: string,
  channel: string,
  answer: string,
): Promise<WebSocket> {
  const ws = await open(`${url}/websocket/json/${key}`);
  const registered = until(ws, (text) => text.includes('"registration_succeeded"'), "registration");
  ws.send(JSON.stringify({ event: "register", channel }));
  await registered;
  ws.on("message", (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { event: string; reply_to?: string };
    if (message.event === "new_message" && message.reply_to !== undefined)
      ws.send(JSON.stringify({ event: "reply", channel: message.reply_to, data: answer }));
    else if (message.event !== "reply_succeeded") throw new Error(`responder got ${data.toString()}`);
  });
  return ws;
}

export async function westRequester(url: string, key: string): Promise<RequesterClient> {
  const ws = await open(`${url}/websocket/json/${key}`);
  let waiting: { resolve(): void; reject(error: Error): void } | undefined;
  let id = 0;
  ws.on("message", (data: Buffer) => {
    const text = data.toString();
    const settle = waiting;
    waiting = undefined;
    if (text.startsWith('{"event":"response"')) settle?.resolve();
    else settle?.reject(new Error(`request answered ${text}`));
  });
  return {
    request(channel, payload) {
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        ws.send(JSON.stringify({ event: "request", channel, data: payload, id: ++id }));
      });
    },
    close: () => ws.terminate(),
  };
}

// NATS: its text protocol on its WebSocket listener; the requester's inbox is a subject of its own.

const CONNECT = `CONNECT ${JSON.stringify({ verbose: false, pedantic: false, protocol: 1, headers: false })}\r\n`;

/** The operations in a NATS byte stream, a MSG with its reply subject and payload; frames may split them. */
function natsStream(onMessage: (subject: string, replyTo: string | undefined, payload: string) => void) {
  let buffer = "";
  return (data: Buffer, ws: WebSocket) => {
    buffer += data.toString("latin1");
    for (;;) {
      const end = buffer.indexOf("\r\n");
      if (end < 0) return;
      const line = buffer.slice(0, end);
      if (line.startsWith("MSG ")) {
        const parts = line.split(" ");
        const bytes = Number(parts.at(-1));
        if (buffer.length < end + 2 + bytes + 2) return;
        const payload = buffer.slice(end + 2, end + 2 + bytes);
        buffer = buffer.slice(end + 2 + bytes + 2);
        onMessage(parts[1] as string, parts.length === 5 ? parts[3] : undefined, payload);
        continue;
      }
      buffer = buffer.slice(end + 2);
      if (line === "PING") ws.send("PONG\r\n");
      else if (line.startsWith("-ERR")) throw new Error(`nats: ${line}`);
    }
  };
}

async function natsConnection(url: string, subscribe: string): Promise<WebSocket> {
  const ws = await open(url);
  const ready = until(ws, (text) => text.includes("PONG"), "PONG");
  ws.send(`${CONNECT}SUB ${subscribe} 1\r\nPING\r\n`);
  await ready;
  return ws;
}

export async function natsResponder(url: string, channel: string, answer: string): Promise<WebSocket> {
  const ws = await natsConnection(url, channel);
  const read = natsStream((_subject, replyTo) => {
    if (replyTo !== undefined) ws.send(`PUB ${replyTo} ${answer.length}\r\n${answer}\r\n`);
  });
  ws.on("message", (data: Buffer) => read(data, ws));
  return ws;
}

export async function natsRequester(url: string, key: string): Promise<RequesterClient> {
  const inbox = `_INBOX.${key}`;
  const ws = await natsConnection(url, inbox);
  let waiting: (() => void) | undefined;
  const read = natsStream(() => {
    const settle = waiting;
    waiting = undefined;
    settle?.();
  });
  ws.on("message", (data: Buffer) => read(data, ws));
  return {
    request(channel, payload) {
      return new Promise((resolve) => {
        waiting = resolve;
        ws.send(`PUB ${channel} ${inbox} ${payload.length}\r\n${payload}\r\n`);
      });
    },
    close: () => ws.terminate(),
  };
}
