import type { Dialect, DialectName } from "../systems/dialect.js";
import { DIALECTS } from "../systems/dialects.js";
import { type ChannelPlan, channelOf } from "./channel-plan.js";
import { type BenchConnection, type DeliveryCounter, openConnection } from "./connection.js";
import { type HistogramData, LatencyHistogram } from "./latency-histogram.js";
import { nowMicros, sentAt, stampedPayload } from "./payload.js";
import { type StormShare, type StormSpec, storm } from "./storm-clients.js";
import { withTimeout } from "./timeout.js";

export interface OpenSpec {
  /** ws://host:port of the server. */
  url: string;
  dialect: DialectName;
  /** Connection i gets the key `${keyPrefix}${first + i}`. */
  keyPrefix: string;
  first: number;
  count: number;
  /** Connections being set up at once. */
  concurrency: number;
  timeoutMs: number;
}

export interface OpenResult {
  opened: number;
  failed: number;
  error?: string;
  elapsedMicros: number;
  /** Per connection: from the start of the upgrade to the reply to its first request. */
  handshake: HistogramData;
}

export interface SendSpec {
  kind: "publish" | "send";
  plan: ChannelPlan;
  /** Requests per connection: exactly this many, or with `durationMs` at least this many. */
  perConnection: number;
  /** Keep sending until this long has passed (each connection, and at least `perConnection`)... */
  durationMs?: number;
  /** ...or until this many requests per connection. */
  maxPerConnection?: number;
  /** Requests per connection sent and not yet acknowledged, at most. */
  window: number;
  timeoutMs: number;
}

export interface SendResult {
  /** Requests sent (and acknowledged) per connection. */
  sent: number[];
  firstSendMicros: number;
  lastReplyMicros: number;
}

export interface PhaseResult {
  received: number;
  /** Deliveries missing, counted per connection. */
  lost: number;
  /** Deliveries beyond the expected count (duplicates), counted per connection. */
  extra: number;
  /** Connections that closed or failed. */
  closed: number;
  strayReplies: number;
  latency: HistogramData;
  lastDeliveryMicros: number;
}

/** The work one load-generator process does: it owns some client connections of one dialect. */
export class Agent implements DeliveryCounter {
  private connections: BenchConnection[] = [];
  private dialect: Dialect | undefined;
  private expectedPerConnection = 0;
  private expectedTotal = 0;
  private total = 0;
  private latency = new LatencyHistogram();
  private lastDeliveryMicros = 0;
  private wake: (() => void) | undefined;

  delivered(frame: Buffer, at: number): void {
    const now = nowMicros();
    this.latency.record(now - sentAt(frame, at));
    this.lastDeliveryMicros = now;
    if (++this.total === this.expectedTotal) this.wake?.();
  }

  async open(spec: OpenSpec): Promise<OpenResult> {
    const dialect = DIALECTS[spec.dialect];
    this.dialect = dialect;
    const handshake = new LatencyHistogram();
    const started = nowMicros();
    const opened: (BenchConnection | undefined)[] = new Array(spec.count);
    let next = 0;
    let failed = 0;
    let error: string | undefined;
    const lane = async () => {
      while (next < spec.count) {
        const i = next++;
        const begun = nowMicros();
        try {
          const url = spec.url + dialect.path(`${spec.keyPrefix}${spec.first + i}`);
          opened[i] = await this.connect(url, dialect, spec.timeoutMs);
          handshake.record(nowMicros() - begun);
        } catch (caught) {
          failed++;
          error ??= caught instanceof Error ? caught.message : String(caught);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(spec.concurrency, spec.count) }, lane));
    for (const connection of opened) if (connection !== undefined) this.connections.push(connection);
    return {
      opened: spec.count - failed,
      failed,
      ...(error === undefined ? {} : { error }),
      elapsedMicros: nowMicros() - started,
      handshake: handshake.data(),
    };
  }

  /** Every client of `spec` connects and subscribes at once; the connections stay open until `close`. */
  async storm(spec: StormSpec): Promise<StormShare> {
    this.dialect = DIALECTS[spec.dialect];
    const { share, connections } = await storm(spec, this);
    this.connections.push(...connections);
    return share;
  }

  subscribe(plan: ChannelPlan, timeoutMs: number): Promise<void> {
    const dialect = this.requireDialect();
    return this.requestAll((channel) => dialect.subscribe(channel), plan, timeoutMs, "subscribing");
  }

  register(plan: ChannelPlan, timeoutMs: number): Promise<void> {
    const dialect = this.requireDialect();
    return this.requestAll((channel) => dialect.register(channel), plan, timeoutMs, "registering");
  }

  /** Starts a phase: counting deliveries from zero, for an expectation that `settle` will give. */
  arm(): void {
    for (const connection of this.connections) connection.received = 0;
    this.expectedPerConnection = Number.POSITIVE_INFINITY;
    this.expectedTotal = Number.POSITIVE_INFINITY;
    this.total = 0;
    this.latency = new LatencyHistogram();
    this.lastDeliveryMicros = 0;
  }

  /**
   * Resolves once each connection has had `perConnection` deliveries in this phase, or when none has arrived
   * for `quietMs`, or after `timeoutMs`: what is missing then is lost.
   */
  settle(perConnection: number, quietMs: number, timeoutMs: number): Promise<PhaseResult> {
    this.expectedPerConnection = perConnection;
    this.expectedTotal = perConnection * this.connections.length;
    return new Promise((resolve) => {
      const started = nowMicros();
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        clearInterval(timer);
        this.wake = undefined;
        resolve(this.phaseResult());
      };
      if (this.total >= this.expectedTotal) {
        finish();
        return;
      }
      this.wake = finish;
      timer = setInterval(() => {
        const now = nowMicros();
        const quietSince = Math.max(started, this.lastDeliveryMicros);
        if (now - quietSince > quietMs * 1000 || now - started > timeoutMs * 1000) finish();
      }, 50);
    });
  }

  /** Every connection sends publishes (or sends) to its channel as `spec` says, `window` at a time. */
  async publish(spec: SendSpec): Promise<SendResult> {
    const dialect = this.requireDialect();
    const make = spec.kind === "publish" ? dialect.publish : dialect.send;
    const firstSendMicros = nowMicros();
    const until = firstSendMicros + (spec.durationMs ?? 0) * 1000;
    const most = spec.maxPerConnection ?? Number.POSITIVE_INFINITY;
    const window = Math.max(
      1,
      spec.durationMs === undefined ? Math.min(spec.window, spec.perConnection) : spec.window,
    );
    const sent = this.connections.map(() => 0);
    const run = async (connection: BenchConnection, i: number) => {
      const channel = channelOf(spec.plan, i);
      const lane = async () => {
        while (
          (sent[i] as number) < spec.perConnection ||
          ((sent[i] as number) < most && nowMicros() < until)
        ) {
          sent[i] = (sent[i] as number) + 1;
          await connection.request(make(channel, stampedPayload()));
        }
      };
      await Promise.all(Array.from({ length: window }, lane));
    };
    await withTimeout(
      Promise.all(this.connections.map(run)),
      spec.timeoutMs,
      `${spec.kind} acknowledgements`,
    );
    return { sent, firstSendMicros, lastReplyMicros: nowMicros() };
  }

  /** CPU time this process has used, in microseconds. */
  usage(): number {
    const { user, system } = process.cpuUsage();
    return user + system;
  }

  close(): void {
    for (const connection of this.connections) connection.ws.terminate();
    this.connections = [];
  }

  private async connect(url: string, dialect: Dialect, timeoutMs: number): Promise<BenchConnection> {
    const connection = await openConnection(url, dialect, this, timeoutMs);
    try {
      await withTimeout(connection.request(dialect.hello()), timeoutMs, "the first reply");
    } catch (error) {
      connection.ws.terminate();
      throw error;
    }
    return connection;
  }

  private async requestAll(
    request: (channel: string) => string | Buffer,
    plan: ChannelPlan,
    timeoutMs: number,
    what: string,
  ): Promise<void> {
    await withTimeout(
      Promise.all(this.connections.map((connection, i) => connection.request(request(channelOf(plan, i))))),
      timeoutMs,
      what,
    );
  }

  private phaseResult(): PhaseResult {
    let lost = 0;
    let extra = 0;
    let closed = 0;
    let strayReplies = 0;
    for (const connection of this.connections) {
      lost += Math.max(0, this.expectedPerConnection - connection.received);
      extra += Math.max(0, connection.received - this.expectedPerConnection);
      if (connection.closed !== undefined) closed++;
      strayReplies += connection.strayReplies;
    }
    return {
      received: this.total,
      lost,
      extra,
      closed,
      strayReplies,
      latency: this.latency.data(),
      lastDeliveryMicros: this.lastDeliveryMicros,
    };
  }

  private requireDialect(): Dialect {
    if (this.dialect === undefined) throw new Error("open connections first");
    return this.dialect;
  }
}
