import { after } from "node:test";
import WebSocket from "ws";
import { localAdapter } from "../../src/adapters/local/local-adapter.js";
import type { Adapter, AdapterContext, AdapterFactory, WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";
import type { ProtocolName } from "../../src/protocols/codec.js";
import { MessageType } from "../../src/protocols/pb.js";
import { Wakeup } from "./wakeup.js";

/** A node listening on a free loopback port, stopped when the test (or the file) ends. */
export async function listeningNode(options: WestOptions = {}): Promise<WestNode & { wsUrl: string }> {
  const node = await startListening(options);
  after(() => node.stop());
  return node;
}

/** A node listening on a free loopback port, with its ws:// URL; whoever starts it stops it. */
export async function startListening(options: WestOptions = {}): Promise<WestNode & { wsUrl: string }> {
  const node = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent", ...options });
  return Object.assign(node, { wsUrl: (node.url as string).replace(/^http/, "ws") });
}

/** One frame as received: text frames as strings, binary frames as Buffers. */
export type Received = string | Buffer;

/** A real WebSocket client that queues what it receives, for step-by-step assertions. */
export class TestSocket {
  readonly received: Received[] = [];
  closeCode: number | undefined;
  /** How many WebSocket pings the server has sent this client. */
  pings = 0;
  private readonly changes = new Wakeup();
  private readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      this.received.push(isBinary ? data : data.toString("utf8"));
      this.changes.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on("close", (code: number) => {
        this.closeCode = code;
        this.changes.wake();
        resolve(code);
      });
    });
    ws.on("ping", () => {
      this.pings++;
      this.changes.wake();
    });
    ws.on("error", () => undefined);
    after(() => ws.terminate());
  }

  send(frame: string | Uint8Array): void {
    this.ws.send(frame);
  }

  /** Waits until `count` frames have arrived in all (default: one more than now), then returns the newest. */
  async next(timeoutMs = 2000): Promise<Received> {
    const wanted = this.received.length + 1;
    await this.until(() => this.received.length >= wanted, timeoutMs, "a frame");
    return this.received[wanted - 1] as Received;
  }

  /** Takes the oldest unread frame, waiting for one if none is queued. */
  async take(timeoutMs = 2000): Promise<Received> {
    await this.until(() => this.received.length > 0, timeoutMs, "a frame");
    return this.received.shift() as Received;
  }

  /** Resolves with the close code once the socket is closed. */
  async closedWith(timeoutMs = 2000): Promise<number> {
    await this.until(() => this.closeCode !== undefined, timeoutMs, "the socket to close");
    return this.closed;
  }

  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.changes.until(condition, timeoutMs, what);
  }
}

/** Opens `/websocket/{protocol}/{key}` and resolves once the socket is open. */
export function connect(
  wsUrl: string,
  protocol: ProtocolName,
  key: string,
  query = "",
  options: WebSocket.ClientOptions = {},
): Promise<TestSocket> {
  const ws = new WebSocket(`${wsUrl}/websocket/${protocol}/${encodeURIComponent(key)}${query}`, options);
  const socket = new TestSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(socket));
    ws.once("unexpected-response", (_request, response) =>
      reject(new Error(`upgrade refused: ${response.statusCode}`)),
    );
    ws.once("error", reject);
  });
}

/** Encodes a protobuf Message the way an original WEST protobuf client does. */
export function pbFrame(fields: {
  event: string;
  channel?: string;
  from?: string;
  id?: string;
  data?: Uint8Array | string;
}): Uint8Array {
  const data = typeof fields.data === "string" ? Buffer.from(fields.data, "utf8") : fields.data;
  return MessageType.encode({ ...fields, ...(data === undefined ? {} : { data }) }).finish();
}

/** Decodes a received protobuf frame into a plain object (data as a Buffer). */
export function pbMessage(frame: Received): Record<string, unknown> {
  if (typeof frame === "string")
    throw new Error(`expected a binary frame, got text ${JSON.stringify(frame)}`);
  return MessageType.toObject(MessageType.decode(frame)) as Record<string, unknown>;
}

/** The fields of a message (docs/protocol.md, "Messages"), JSON's `encoding` and failures' `reason`, as a client reads them. */
export interface WireMessage {
  event: string;
  channel?: string;
  from?: string;
  id?: string | number;
  data?: unknown;
  encoding?: string;
  reason?: string;
  /** On the delivery of a request to its owner. */
  reply_to?: string;
}

/** A command as a test writes it, before a protocol puts it on the wire. */
export interface WireCommand {
  event: string;
  channel?: string;
  id?: string | number;
  /** json: any JSON value; text: a string; pb: a string (as UTF-8) or bytes. */
  data?: unknown;
}

/** A text-protocol MSG: one double-quoted word, with `\"` and `\\` escaped. */
export function textQuote(message: string): string {
  return `"${message.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

/** Each command's word in the text protocol (ping and bye are their own words). */
export const TEXT_WORDS = new Map([
  ["register", "reg"],
  ["unregister", "unreg"],
  ["subscribe", "sub"],
  ["unsubscribe", "unsub"],
  ["send", "send"],
  ["publish", "pub"],
]);

/** Puts `command` on the wire the way a client of `protocol` writes it (the text protocol has no `id`). */
export function encodeCommand(protocol: ProtocolName, command: WireCommand): string | Uint8Array {
  if (protocol === "json") return JSON.stringify(command);
  if (protocol === "pb") {
    const { data } = command;
    if (data !== undefined && typeof data !== "string" && !(data instanceof Uint8Array))
      throw new Error("pb data is a string or bytes");
    return pbFrame({ ...command, id: command.id === undefined ? undefined : String(command.id), data });
  }
  const words = [TEXT_WORDS.get(command.event) ?? command.event];
  if (command.channel !== undefined) words.push(command.channel);
  if (command.data !== undefined) words.push(textQuote(String(command.data)));
  return words.join(" ");
}

/**
 * Reads a received frame of `protocol` as a WireMessage. Text frames: `pong`, `bad_encoding`, `west:EVENT`,
 * `west CH:EVENT` (` ID` after a request's outcome), `FROM CH:new_message MSG`, `FROM CH:new_request T MSG`,
 * `OWNER CH:response ID MSG`; pb `data` as a Buffer.
 */
export function decodeFrame(protocol: ProtocolName, frame: Received): WireMessage {
  if (protocol === "pb" && typeof frame !== "string") return pbMessage(frame) as unknown as WireMessage;
  if (typeof frame !== "string") throw new Error(`unexpected binary frame on ${protocol}`);
  if (protocol === "json") return JSON.parse(frame) as WireMessage;
  if (frame === "pong" || frame === "bad_encoding") return { event: frame };
  const delivery = /^(\S+) (\S+):new_message ([\s\S]*)$/.exec(frame);
  if (delivery !== null) {
    const [, from, channel, data] = delivery as unknown as [string, string, string, string];
    return { event: "new_message", from, channel, data };
  }
  const request = /^(\S+) (\S+):(new_request|response) (\S*) ([\s\S]*)$/.exec(frame);
  if (request !== null && request[1] !== "west") {
    const [, from, channel, event, word, data] = request as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    return event === "new_request"
      ? { event: "new_message", from, channel, data, reply_to: word }
      : { event, from, channel, id: word, data };
  }
  // A request's outcome ends with the request's ID.
  const withChannel = /^west ([\s\S]*):([a-z_]+)(?: (\S+))?$/.exec(frame);
  if (withChannel !== null) {
    const [, channel, event, id] = withChannel as unknown as [string, string, string, string | undefined];
    return id === undefined ? { event, from: "west", channel } : { event, from: "west", channel, id };
  }
  const bare = /^west:([a-z_]+)(?: (\S+))?$/.exec(frame);
  if (bare !== null)
    return bare[2] === undefined
      ? { event: bare[1] as string, from: "west" }
      : { event: bare[1] as string, from: "west", id: bare[2] };
  throw new Error(`unreadable text frame ${JSON.stringify(frame)}`);
}

/** A TestSocket that speaks one protocol in WireMessages: `request` sends a command and reads the next frame. */
export class ProtocolClient {
  constructor(
    readonly socket: TestSocket,
    readonly protocol: ProtocolName,
    readonly key: string,
  ) {}

  command(command: WireCommand): void {
    this.socket.send(encodeCommand(this.protocol, command));
  }

  async request(command: WireCommand, timeoutMs?: number): Promise<WireMessage> {
    this.command(command);
    return this.take(timeoutMs);
  }

  /** The oldest unread message. */
  async take(timeoutMs?: number): Promise<WireMessage> {
    return decodeFrame(this.protocol, await this.socket.take(timeoutMs));
  }

  /** The event of the reply to `command`. */
  async event(command: WireCommand): Promise<string> {
    return (await this.request(command)).event;
  }
}

/** Connects a ProtocolClient to `/websocket/{protocol}/{key}`. */
export async function protocolClient(
  wsUrl: string,
  protocol: ProtocolName,
  key: string,
): Promise<ProtocolClient> {
  return new ProtocolClient(await connect(wsUrl, protocol, key), protocol, key);
}

/** What an upgrade request got: the open socket, or the HTTP refusal. */
export type UpgradeOutcome = { opened: TestSocket } | { status: number; body: string };

/** Asks for a WebSocket at `path` (raw, not encoded) and reports whether it opened or how it was refused. */
export function tryUpgrade(
  wsUrl: string,
  path: string,
  options: WebSocket.ClientOptions = {},
): Promise<UpgradeOutcome> {
  const ws = new WebSocket(`${wsUrl}${path}`, options);
  const socket = new TestSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ opened: socket }));
    ws.once("unexpected-response", (_request, response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      response.on("error", reject);
    });
    ws.once("error", reject);
  });
}

/**
 * The local adapter, reporting the calls a node makes when channels change hands, so that a test can wait
 * for a close's cleanup (`release CH`, `unsubscribe CH`) instead of sleeping.
 */
export function watchedAdapter(): {
  factory: AdapterFactory;
  calls: string[];
  seen(call: string, timeoutMs?: number): Promise<void>;
} {
  const calls: string[] = [];
  let waiters: (() => void)[] = [];
  const record = (call: string) => {
    calls.push(call);
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  const watched = (context: AdapterContext): Adapter => {
    const local = localAdapter(context);
    return {
      ...local,
      registry: {
        ...local.registry,
        release: (channel, owner) => {
          record(`release ${channel}`);
          return local.registry.release(channel, owner);
        },
      },
      backplane: {
        ...local.backplane,
        unsubscribe: (channel) => {
          record(`unsubscribe ${channel}`);
          return local.backplane.unsubscribe(channel);
        },
      },
    };
  };
  return {
    factory: watched,
    calls,
    async seen(call, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (!calls.includes(call)) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for the node to ${call}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}
