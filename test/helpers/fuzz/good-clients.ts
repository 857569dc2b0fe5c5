import { PROTOCOL_NAMES, type ProtocolName } from "../../../src/protocols/codec.js";
import { encodeCommand, type WireCommand, type WireMessage } from "../ws-client.js";
import { FuzzSocket } from "./fuzz-socket.js";

/** Channels only the well-behaved clients use: no fuzz frame names them. */
const PUB_CHANNEL = "good.pub";
const p2pChannel = (protocol: ProtocolName) => `good.p2p.${protocol}`;
const keyOf = (protocol: ProtocolName) => `good-${protocol}`;
const nextProtocol = (protocol: ProtocolName) =>
  PROTOCOL_NAMES[(PROTOCOL_NAMES.indexOf(protocol) + 1) % PROTOCOL_NAMES.length] as ProtocolName;
/** Commands each good client keeps in flight. */
const WINDOW = 8;
/**
 * Commands each good client sends per second at most: well under the node's default command rate (10,000 per
 * socket), as a well-behaved client stays (unpaced, a fast node let them reach it and be refused).
 */
const MAX_COMMANDS_PER_SECOND = 4_000;

/** Message number `n` of `key` as data of its protocol's own kind: text, json, binary (not UTF-8). */
function payload(protocol: ProtocolName, key: string, n: number): unknown {
  if (protocol === "json") return { k: key, n };
  if (protocol === "pb") return Buffer.concat([Buffer.from([0xff]), Buffer.from(`${key}:${n}`)]);
  return `${key}:${n}`;
}

/**
 * `key:n` back from a delivery, whichever protocol carried it (docs/protocol.md, "Data across protocols").
 */
function readPayload(message: WireMessage): string | undefined {
  let data = message.data;
  if (message.encoding === "base64" && typeof data === "string") data = Buffer.from(data, "base64");
  if (typeof data === "string" && data.startsWith("base64:")) data = Buffer.from(data.slice(7), "base64");
  if (data instanceof Uint8Array) {
    const bytes = Buffer.from(data);
    data = (bytes[0] === 0xff ? bytes.subarray(1) : bytes).toString("utf8");
  }
  if (typeof data === "string" && data.startsWith("{")) data = JSON.parse(data);
  if (typeof data === "object" && data !== null)
    return `${(data as { k: string }).k}:${(data as { n: number }).n}`;
  return typeof data === "string" ? data : undefined;
}

/**
 * A client that only sends valid commands: it subscribes to the shared channel and owns its own one, then
 * publishes there and sends to the next protocol's client, numbering each message, and checks that every
 * message of every good sender arrives once and in order.
 */
class GoodClient {
  readonly key: string;
  /** Messages published (and as many sent): numbers 0 .. sent-1. */
  sent = 0;
  private secondStartedAt = 0;
  private sentThisSecond = 0;
  /** Deliveries from good senders that arrived in order. */
  received = 0;
  /** Deliveries from others (a fuzz frame that happened to name a good channel). */
  foreign = 0;
  private readonly expectedReplies: string[] = [];
  /** The next number due from each sender on each channel. */
  private readonly due = new Map<string, number>();
  private socket: FuzzSocket | undefined;

  constructor(
    readonly protocol: ProtocolName,
    private readonly fail: (what: string) => void,
  ) {
    this.key = keyOf(protocol);
  }

  dueFrom(sender: string, channel: string): number {
    return this.due.get(`${sender} ${channel}`) ?? 0;
  }

  async open(url: string, stallMs: number): Promise<void> {
    this.socket = await FuzzSocket.open(url, this.protocol, this.key, (incoming) => {
      if (incoming.kind === "unreadable") return this.fail(`${this.key}: unreadable frame ${incoming.why}`);
      if (incoming.kind === "reply") {
        const expected = this.expectedReplies.shift();
        if (incoming.event !== expected)
          this.fail(`${this.key}: reply ${incoming.event} where ${expected} was due`);
        return;
      }
      this.deliver(incoming.message);
    });
    this.command({ event: "subscribe", channel: PUB_CHANNEL }, "subscription_succeeded");
    this.command({ event: "register", channel: p2pChannel(this.protocol) }, "registration_succeeded");
    await this.settled(stallMs);
  }

  /** Publishes and sends the next message, once fewer than WINDOW commands are in flight. */
  async step(stallMs: number): Promise<void> {
    await this.paced(2);
    await this.socket?.until(() => this.expectedReplies.length < WINDOW, stallMs, `${this.key}'s replies`);
    if (this.socket?.closeCode !== undefined)
      throw new Error(`${this.key}: closed with ${this.socket.closeCode}`);
    const data = payload(this.protocol, this.key, this.sent++);
    this.command({ event: "publish", channel: PUB_CHANNEL, data }, "publication_succeeded");
    this.command(
      { event: "send", channel: p2pChannel(nextProtocol(this.protocol)), data },
      "sending_succeeded",
    );
  }

  /** Waits, if need be, until `commands` more stay within MAX_COMMANDS_PER_SECOND in this second. */
  private async paced(commands: number): Promise<void> {
    const now = Date.now();
    if (now - this.secondStartedAt >= 1000) {
      this.secondStartedAt = now;
      this.sentThisSecond = 0;
    }
    if (this.sentThisSecond + commands > MAX_COMMANDS_PER_SECOND) {
      await new Promise((resolve) => setTimeout(resolve, this.secondStartedAt + 1000 - now));
      this.secondStartedAt = Date.now();
      this.sentThisSecond = 0;
    }
    this.sentThisSecond += commands;
  }

  async settled(stallMs: number): Promise<void> {
    await this.socket?.until(() => this.expectedReplies.length === 0, stallMs, `${this.key}'s replies`);
    if (this.socket?.closeCode !== undefined) this.fail(`${this.key}: closed with ${this.socket.closeCode}`);
  }

  /** Waits until `condition` (about deliveries) holds; false after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
    return (this.socket as FuzzSocket).until(condition, timeoutMs, "deliveries").then(
      () => condition(),
      () => false,
    );
  }

  close(timeoutMs: number): Promise<void> {
    return this.socket?.close(timeoutMs) ?? Promise.resolve();
  }

  private command(command: WireCommand, reply: string): void {
    this.expectedReplies.push(reply);
    const frame = encodeCommand(this.protocol, command);
    (this.socket as FuzzSocket).send(
      typeof frame === "string" ? frame : Buffer.from(frame),
      this.protocol === "pb",
    );
  }

  private deliver(message: WireMessage): void {
    const sender = message.from as string;
    if (!PROTOCOL_NAMES.some((protocol) => keyOf(protocol) === sender)) {
      this.foreign++;
      return;
    }
    const channel = message.channel as string;
    const due = this.dueFrom(sender, channel);
    const got = readPayload(message);
    if (got !== `${sender}:${due}`) {
      this.fail(`${this.key}: on ${channel} from ${sender}, ${sender}:${due} was due, got ${got}`);
      return;
    }
    this.due.set(`${sender} ${channel}`, due + 1);
    this.received++;
  }
}

export interface GoodTraffic {
  /** Stops sending, then waits until every message sent has arrived; the failures say what did not. */
  finish(timeoutMs: number): Promise<void>;
  sent(): number;
  received(): number;
  foreign(): number;
}

/**
 * One well-behaved client per protocol, exchanging messages (publish to all three, send to the next one)
 * until `finish`; failures are reported through `fail`.
 */
export async function startGoodTraffic(
  url: string,
  stallMs: number,
  fail: (what: string) => void,
): Promise<GoodTraffic> {
  const clients = PROTOCOL_NAMES.map((protocol) => new GoodClient(protocol, fail));
  for (const client of clients) await client.open(url, stallMs);
  let running = true;
  const loops = clients.map(async (client) => {
    try {
      while (running) await client.step(stallMs);
    } catch (error) {
      fail(`${client.key} stopped: ${error instanceof Error ? error.message : error}`);
    }
  });
  const total = (count: (client: GoodClient) => number) =>
    clients.reduce((sum, client) => sum + count(client), 0);
  return {
    async finish(timeoutMs) {
      running = false;
      await Promise.all(loops);
      for (const client of clients) await client.settled(stallMs);
      for (const client of clients) {
        const previous = clients[
          (clients.indexOf(client) + clients.length - 1) % clients.length
        ] as GoodClient;
        const complete = () =>
          clients.every((sender) => client.dueFrom(sender.key, PUB_CHANNEL) === sender.sent) &&
          client.dueFrom(previous.key, p2pChannel(client.protocol)) === previous.sent;
        if (!(await client.until(complete, timeoutMs))) {
          const counts = clients.map(
            (sender) => `${sender.key} ${client.dueFrom(sender.key, PUB_CHANNEL)}/${sender.sent}`,
          );
          fail(
            `${client.key} is missing messages: published ${counts.join(", ")}; sent by ${previous.key} ${client.dueFrom(previous.key, p2pChannel(client.protocol))}/${previous.sent}`,
          );
        }
      }
      for (const client of clients) await client.close(timeoutMs);
    },
    sent: () => total((client) => client.sent * 2),
    received: () => total((client) => client.received),
    foreign: () => total((client) => client.foreign),
  };
}
