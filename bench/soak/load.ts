import WebSocket from "ws";
import { LatencyHistogram } from "../harness/latency-histogram.js";
import { nowMicros } from "../harness/payload.js";
import { newCounters } from "./counters.js";
import { type InFlight, SoakClient } from "./soak-client.js";
import { decode, encode, SOAK_PROTOCOLS, type SoakCommand } from "./wire.js";

export interface LoadOptions {
  /** ws://127.0.0.1:PORT */
  url: string;
  connections: number;
  /** The share of connections that disconnect and reconnect at random moments. */
  reconnectFraction: number;
  /** A churning connection stays up 0.5x to 1.5x this long. */
  meanUptimeMs: number;
  /** How often the churning set is drawn again. */
  churnRedrawMs: number;
  /** A connection does one action every 0.5x to 1.5x this interval. */
  actionIntervalMs: number;
  /** An owed delivery that has not arrived this long after the sender's acknowledgement is lost. */
  graceMs: number;
}

/** Group channels of this many connections; the publish fanout of most of the traffic. */
const GROUP_SIZE = 10;
/** Connections per topic channel (subscribed and unsubscribed at random, at most 2 at a time). */
const CONNECTIONS_PER_TOPIC = 20;
const MAX_IN_FLIGHT = 32;
const OPENING_AT_ONCE = 50;
const REGISTER_RETRY_MS = 200;
const REGISTER_RETRIES = 50;
const KEPT_ERRORS = 20;
/** A connection not open by then is an error (and is tried again): every wait is bounded. */
const HANDSHAKE_TIMEOUT_MS = 60_000;

const SHARED = "all";
const random = (low: number, high: number) => low + Math.random() * (high - low);
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** Who holds a point-to-point channel, as the load knows it (one object per confirmed registration). */
interface Ownership {
  client: SoakClient;
}

/**
 * The soak's load: `connections` WebSocket clients spread over the three protocols, each doing about one action
 * a second (publishes on its group, the shared channel and its topics, sends to registered owners, topic
 * and registration churn), a share of them disconnecting and reconnecting at random. It keeps the ledger of
 * owed deliveries (see SoakClient) from which lost messages are counted.
 */
export class SoakLoad {
  readonly counters = newCounters();
  readonly errorSamples: string[] = [];
  readonly lostSamples: string[] = [];
  /** Delivery latency (sender's clock to receiver's), reset by each sample. */
  latency = new LatencyHistogram();
  private readonly clients: SoakClient[];
  private readonly sockets = new Map<SoakClient, WebSocket>();
  private readonly subscribers = new Map<string, Set<SoakClient>>();
  private readonly owners = new Map<string, Ownership>();
  private readonly topics: string[];
  private readonly groups: number;
  private running = false;
  private ticker: NodeJS.Timeout | undefined;
  private nextRedraw = 0;
  private nextSweep = 0;

  constructor(private readonly options: LoadOptions) {
    this.clients = Array.from(
      { length: options.connections },
      (_, slot) => new SoakClient(slot, SOAK_PROTOCOLS[slot % 3] ?? "json", this.counters),
    );
    this.groups = Math.max(1, Math.ceil(options.connections / GROUP_SIZE));
    const topicCount = Math.max(2, Math.round(options.connections / CONNECTIONS_PER_TOPIC));
    this.topics = Array.from({ length: topicCount }, (_, i) => `t${i}`);
  }

  get openConnections(): number {
    let open = 0;
    for (const client of this.clients) if (client.open) open++;
    return open;
  }

  /** Opens every connection (a few dozen at a time) and starts the actions. */
  async start(): Promise<void> {
    this.running = true;
    const now = performance.now();
    this.redrawChurn(now);
    for (let i = 0; i < this.clients.length; i += OPENING_AT_ONCE) {
      const batch = this.clients.slice(i, i + OPENING_AT_ONCE);
      await Promise.all(batch.map((client) => this.connect(client)));
    }
    this.ticker = setInterval(() => this.tick(), 50);
  }

  /**
   * Stops the actions and the churn, waits (at most the grace period) for what is owed to arrive and every
   * request to be answered, counts the rest as lost or as errors, and closes every socket.
   */
  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.ticker);
    for (const client of this.clients) client.reconnectAt = Number.POSITIVE_INFINITY;
    const until = performance.now() + this.options.graceMs;
    while (performance.now() < until && this.outstanding() > 0) await new Promise((r) => setTimeout(r, 100));
    const sockets = [...this.sockets.values()];
    this.sockets.clear();
    const now = performance.now();
    for (const client of this.clients) {
      if (client.inFlight.length > 0)
        this.error(`${client.key}: ${client.inFlight.length} requests unanswered at the end`);
      this.sweep(client, now);
      this.goDown(client);
    }
    await Promise.all(sockets.map((ws) => closeSocket(ws)));
  }

  private outstanding(): number {
    let count = 0;
    for (const client of this.clients) count += client.owed.size + client.inFlight.length;
    return count;
  }

  private tick(): void {
    const now = performance.now();
    if (now >= this.nextRedraw) this.redrawChurn(now);
    for (const client of this.clients) {
      if (client.open) {
        if (now >= client.disconnectAt) this.churnDisconnect(client, now);
        else if (now >= client.nextActionAt) {
          client.nextActionAt = now + this.options.actionIntervalMs * random(0.5, 1.5);
          if (client.inFlight.length >= MAX_IN_FLIGHT) this.counters.skipped++;
          else this.act(client, now);
        }
      } else if (now >= client.reconnectAt && !this.sockets.has(client)) {
        client.reconnectAt = Number.POSITIVE_INFINITY;
        void this.connect(client);
      }
    }
    if (now >= this.nextSweep) {
      this.nextSweep = now + 1000;
      for (const client of this.clients) this.sweep(client, now);
    }
  }

  /** A new random share of the connections churns from now on. */
  private redrawChurn(now: number): void {
    this.nextRedraw = now + this.options.churnRedrawMs;
    for (const client of this.clients) {
      client.churning = Math.random() < this.options.reconnectFraction;
      client.disconnectAt = client.churning && client.open ? now + this.uptime() : Number.POSITIVE_INFINITY;
    }
  }

  private uptime(): number {
    return this.options.meanUptimeMs * random(0.5, 1.5);
  }

  private connect(client: SoakClient): Promise<void> {
    const ws = new WebSocket(`${this.options.url}/websocket/${client.protocol}/${client.key}`, {
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    });
    this.sockets.set(client, ws);
    ws.binaryType = "nodebuffer";
    return new Promise((resolve) => {
      ws.on("open", () => {
        resolve();
        if (this.sockets.get(client) !== ws) return;
        this.counters.connects++;
        this.opened(client);
      });
      ws.on("message", (data: Buffer, isBinary: boolean) => {
        if (this.sockets.get(client) === ws) this.received(client, data, isBinary);
      });
      ws.on("error", (error: Error) => {
        if (this.sockets.get(client) === ws) this.error(`${client.key}: socket error ${error.message}`);
      });
      ws.on("close", (code: number) => {
        resolve();
        if (this.sockets.get(client) !== ws) return;
        // Neither the churn nor the end closed it: the server (or the network) did.
        this.error(`${client.key}: closed by the server (${code})`);
        this.goDown(client);
        this.sockets.delete(client);
        if (this.running) client.reconnectAt = performance.now() + 1000;
      });
    });
  }

  private opened(client: SoakClient): void {
    const now = performance.now();
    client.open = true;
    client.nextActionAt = now + this.options.actionIntervalMs * Math.random();
    client.disconnectAt = client.churning ? now + this.uptime() : Number.POSITIVE_INFINITY;
    this.subscribe(client, SHARED);
    this.subscribe(client, `g${client.slot % this.groups}`);
    this.register(client, `p.${client.slot}`, 0);
    for (const topic of client.wantedTopics) this.subscribe(client, topic);
    if (client.wantsExtra) this.register(client, `x.${client.slot}`, 0);
  }

  private churnDisconnect(client: SoakClient, now: number): void {
    const ws = this.sockets.get(client);
    this.goDown(client);
    this.sockets.delete(client);
    this.counters.disconnects++;
    if (Math.random() < 0.5) ws?.close(1000);
    else ws?.terminate();
    client.reconnectAt = now + random(100, 2000);
  }

  /** The connection is no longer this client's (closed or closing): nothing it held or was owed stands. */
  private goDown(client: SoakClient): void {
    const now = performance.now();
    client.open = false;
    client.disconnectAt = Number.POSITIVE_INFINITY;
    for (const channel of client.subscriptions.keys()) this.subscribers.get(channel)?.delete(client);
    for (const channel of client.registrations.keys()) this.disown(client, channel);
    client.subscriptions.clear();
    client.registrations.clear();
    client.forgive(now);
    for (const request of client.inFlight.splice(0)) request.onAbandon();
  }

  private received(client: SoakClient, data: Buffer, isBinary: boolean): void {
    let incoming: ReturnType<typeof decode>;
    try {
      incoming = decode(client.protocol, data, isBinary);
    } catch (error) {
      this.error(`${client.key}: ${(error as Error).message}`);
      return;
    }
    if (incoming.kind === "reply") {
      const request = client.inFlight.shift();
      if (request === undefined)
        this.error(`${client.key}: reply ${incoming.event} with no request in flight`);
      else request.onReply(incoming.event);
      return;
    }
    this.counters.received++;
    const id = incoming.data;
    client.arrived(id, performance.now());
    const sentAt = Number(id.slice(id.lastIndexOf(".") + 1));
    if (sentAt > 0) this.latency.record(Math.max(0, nowMicros() - sentAt));
  }

  private request(client: SoakClient, command: SoakCommand, request: InFlight): void {
    const ws = this.sockets.get(client);
    if (ws === undefined || !client.open) {
      request.onAbandon();
      return;
    }
    client.inFlight.push(request);
    ws.send(encode(client.protocol, command));
  }

  /** A request whose only acceptable reply is `success`. */
  private expect(client: SoakClient, command: SoakCommand, success: string, then?: () => void): void {
    this.request(client, command, {
      onReply: (event) => {
        if (event === success) then?.();
        else
          this.error(
            `${client.key}: ${command.event} ${"channel" in command ? command.channel : ""} got ${event}`,
          );
      },
      onAbandon: () => undefined,
    });
  }

  private act(client: SoakClient, now: number): void {
    const roll = Math.random();
    const group = `g${client.slot % this.groups}`;
    const shareOfShared = Math.min(0.05, 2 / this.clients.length);
    if (roll < shareOfShared) this.publish(client, SHARED);
    else if (roll < 0.45) this.publish(client, group);
    else if (roll < 0.5) {
      const held = [...client.subscriptions].filter(([c, s]) => c.startsWith("t") && s === "confirmed");
      this.publish(client, held.length > 0 ? pick(held)[0] : group);
    } else if (roll < 0.75) this.send(client) || this.publish(client, group);
    else if (roll < 0.87) this.toggleTopic(client, now);
    else if (roll < 0.95) this.toggleExtraRegistration(client);
    else this.expect(client, { event: "ping" }, "pong");
  }

  private messageId(client: SoakClient): string {
    return `${client.slot}.${client.seq++}.${Math.floor(nowMicros())}`;
  }

  private publish(client: SoakClient, channel: string): void {
    const id = this.messageId(client);
    const receivers = [...(this.subscribers.get(channel) ?? [])];
    for (const receiver of receivers) receiver.owe(id, channel);
    this.counters.sent++;
    this.request(
      client,
      { event: "publish", channel, data: id },
      {
        onReply: (event) => {
          if (event === "publication_succeeded") {
            const deadline = performance.now() + this.options.graceMs;
            for (const receiver of receivers) receiver.confirm(id, deadline);
            return;
          }
          this.error(`${client.key}: publish ${channel} got ${event}`);
          for (const receiver of receivers) receiver.withdraw(id);
        },
        onAbandon: () => {
          for (const receiver of receivers) receiver.withdraw(id);
        },
      },
    );
  }

  /** Sends to a random registered owner; false when none was found. */
  private send(client: SoakClient): boolean {
    let channel = "";
    let ownership: Ownership | undefined;
    for (let attempt = 0; attempt < 3 && ownership === undefined; attempt++) {
      const slot = Math.floor(Math.random() * this.clients.length);
      channel = Math.random() < 0.7 ? `p.${slot}` : `x.${slot}`;
      ownership = this.owners.get(channel);
    }
    if (ownership === undefined) return false;
    const owner = ownership.client;
    const id = this.messageId(client);
    owner.owe(id, channel);
    this.counters.sent++;
    this.request(
      client,
      { event: "send", channel, data: id },
      {
        onReply: (event) => {
          if (event === "sending_succeeded")
            return owner.confirm(id, performance.now() + this.options.graceMs);
          owner.withdraw(id);
          if (event === "registration_not_found" && this.owners.get(channel) !== ownership)
            this.counters.sendsToGoneOwner++;
          else this.error(`${client.key}: send ${channel} got ${event} while its owner held it`);
        },
        onAbandon: () => owner.withdraw(id),
      },
    );
    return true;
  }

  private subscribe(client: SoakClient, channel: string): void {
    client.subscriptions.set(channel, "pending");
    this.expect(client, { event: "subscribe", channel }, "subscription_succeeded", () => {
      client.subscriptions.set(channel, "confirmed");
      const set = this.subscribers.get(channel) ?? new Set<SoakClient>();
      this.subscribers.set(channel, set);
      set.add(client);
    });
  }

  private unsubscribe(client: SoakClient, channel: string, now: number): void {
    client.subscriptions.delete(channel);
    this.subscribers.get(channel)?.delete(client);
    client.forgive(now, channel);
    this.expect(client, { event: "unsubscribe", channel }, "unsubscription_succeeded");
  }

  /** Takes one more topic, or leaves one when it holds two. */
  private toggleTopic(client: SoakClient, now: number): void {
    const held = [...client.subscriptions].filter(([channel]) => channel.startsWith("t"));
    if (held.some(([, state]) => state === "pending")) return;
    if (held.length >= 2 || (held.length === 1 && Math.random() < 0.5)) {
      const [topic] = pick(held);
      client.wantedTopics.delete(topic);
      this.unsubscribe(client, topic, now);
      return;
    }
    const topic = pick(this.topics.filter((t) => !client.subscriptions.has(t)));
    client.wantedTopics.add(topic);
    this.subscribe(client, topic);
  }

  private toggleExtraRegistration(client: SoakClient): void {
    const channel = `x.${client.slot}`;
    const state = client.registrations.get(channel);
    if (state === "pending") return;
    if (state === "confirmed") {
      client.wantsExtra = false;
      client.registrations.delete(channel);
      this.disown(client, channel);
      this.expect(client, { event: "unregister", channel }, "unregistration_succeeded");
    } else {
      client.wantsExtra = true;
      this.register(client, channel, 0);
    }
  }

  /**
   * Registers `channel`. `registration_denied` right after a reconnect means the server has not yet cleaned
   * up this slot's previous connection: it is retried a while before it counts as an error.
   */
  private register(client: SoakClient, channel: string, attempt: number): void {
    client.registrations.set(channel, "pending");
    this.request(
      client,
      { event: "register", channel },
      {
        onReply: (event) => {
          if (event === "registration_succeeded") {
            client.registrations.set(channel, "confirmed");
            this.owners.set(channel, { client });
          } else if (event === "registration_denied" && attempt < REGISTER_RETRIES) {
            this.counters.registrationRetries++;
            const connection = this.sockets.get(client);
            setTimeout(() => {
              if (
                this.running &&
                this.sockets.get(client) === connection &&
                client.registrations.has(channel)
              )
                this.register(client, channel, attempt + 1);
            }, REGISTER_RETRY_MS);
          } else {
            client.registrations.delete(channel);
            this.error(`${client.key}: register ${channel} got ${event}`);
          }
        },
        onAbandon: () => undefined,
      },
    );
  }

  private sweep(client: SoakClient, now: number): void {
    const lost = client.sweep(now);
    if (lost > 0 && this.lostSamples.length < KEPT_ERRORS)
      this.lostSamples.push(`${client.key} (${client.protocol}): ${lost} overdue at ${Math.round(now)} ms`);
  }

  private disown(client: SoakClient, channel: string): void {
    if (this.owners.get(channel)?.client === client) this.owners.delete(channel);
  }

  private error(description: string): void {
    this.counters.errors++;
    if (this.errorSamples.length < KEPT_ERRORS) this.errorSamples.push(description);
  }
}

/** Closes a socket cleanly, or terminates it if the close handshake takes too long. */
function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => ws.terminate(), 2000);
    ws.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1000);
  });
}
