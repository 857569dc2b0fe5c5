import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { withDeadline } from "../../core/deadline.js";
import type { NodeStats } from "../../core/seam.js";
import type { Logger } from "../../log.js";
import type { RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";
import { HEARTBEAT, LEAVE } from "./scripts.js";

/** A node's heartbeat record, as `west cluster status` shows it. */
export interface NodeRecord extends NodeStats {
  nodeId: string;
  url: string | undefined;
  startedAt: number;
  beatAt: number;
  /** The hash of the node's channel rules (ChannelFeatures.hash): every node of a system has the same. */
  channelRules?: string;
}

export interface MembershipOptions {
  /** A heartbeat record lives this long without renewal; then the node is dead to the others. */
  ttlMs: number;
  /** A beat (a renewal, and a re-validation when one is due) still running after this long is given up. */
  beatTimeoutMs: number;
  /** Monotonic milliseconds; a fake clock in tests. */
  now?: () => number;
  /** Written in the record (NodeRecord.channelRules). */
  channelRules?: string;
}

/** What membership asks of the rest of the adapter when the node must prove its registrations again. */
export interface MembershipHooks {
  /** Figures for the node's record. */
  record(): Pick<NodeRecord, "url" | "connections" | "registrations" | "subscriptions">;
  /** Take requests addressed to `nodeId` (and no longer those to the incarnations left before it). */
  listen(nodeId: string): Promise<void>;
  /**
   * Check that the record of every registration still names this node, moving those that name one of the
   * `previous` incarnations; the rest are lost. Rejects when it could not check them all.
   */
  revalidate(previous: readonly string[]): Promise<void>;
}

/** Old incarnations whose records a new one still recognises as its own. */
const KEPT_INCARNATIONS = 8;

/**
 * The node's membership of the system, and its lease on its registrations.
 *
 * The heartbeat record expires `ttlMs` after its last renewal, and only its absence proves the node dead: another
 * node may then take its channels over. So the node gives itself a shorter lease: it ends `ttlMs / 2` after the
 * moment the last acknowledged renewal was SENT (a monotonic clock, so a process pause counts). Deliveries to owners
 * check the lease when they happen (`mayDeliver`), not a timer, since after a pause queued work runs before timers.
 *
 * A node that lost its lease, or a connection to Redis (whatever Redis held may be gone), re-validates every
 * registration before it delivers again. A renewal never re-creates an expired record (`XX`): a node whose record
 * is gone was dead to the others, so it rejoins as a new incarnation (a new node id), moving the records that still
 * name its old id and losing the others (taken over, or gone).
 */
export class Membership {
  nodeId = newNodeId();
  /** Every id this process has had: its records and publishes under any of them are its own. */
  readonly incarnations = new Set<string>([this.nodeId]);
  private readonly startedAt = Date.now();
  private readonly now: () => number;
  private leaseEnd = Number.NEGATIVE_INFINITY;
  private validated = false;
  /** Counts losses of validity, so that a re-validation that raced one does not count. */
  private losses = 0;
  /** The beat in flight: its number and when it began; a newer beat supersedes it. */
  private beats = 0;
  private beatStartedAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly options: MembershipOptions,
    private readonly hooks: MembershipHooks,
    private readonly logger: Logger,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Whether this node may deliver to its owners at this moment (see the class comment). */
  mayDeliver(): boolean {
    if (this.now() < this.leaseEnd) return this.validated;
    if (this.validated) this.lose("lease expired");
    return false;
  }

  /** Joins: the first record must be written, or the node does not start. */
  async start(): Promise<void> {
    const sentAt = this.now();
    if (!(await this.write(this.nodeId, "NX"))) throw new Error(`node id ${this.nodeId} is taken`);
    this.leaseEnd = sentAt + this.options.ttlMs / 2;
    this.validated = true;
    this.timer = setInterval(() => this.beat(), Math.max(1, Math.floor(this.options.ttlMs / 4)));
    this.timer.unref();
  }

  /** A connection to Redis was lost: deliver nothing until the registrations are validated again. */
  connectionLost(): void {
    this.lose("a connection to Redis was lost");
  }

  /** Renews now rather than at the next tick (e.g. Redis is back). */
  beat(): void {
    if (this.stopped || this.timer === undefined) return;
    const since = this.beatStartedAt;
    if (since !== undefined && this.now() - since < this.options.beatTimeoutMs) return;
    const beat = ++this.beats;
    this.beatStartedAt = this.now();
    withDeadline(this.renew(beat), this.options.beatTimeoutMs)
      .catch((error: unknown) => this.logger.warn({ err: error }, "heartbeat failed"))
      .finally(() => {
        if (this.beats === beat) this.beatStartedAt = undefined;
      });
  }

  /** Leaves: deletes the record and the registry entry. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await LEAVE.run(this.link, [this.names.node(this.nodeId), this.names.registry()], [this.nodeId]);
  }

  private async renew(beat: number): Promise<void> {
    const sentAt = this.now();
    if (sentAt >= this.leaseEnd) this.lose("lease expired");
    const renewed = await this.write(this.nodeId, "XX");
    if (beat !== this.beats) return;
    if (renewed) {
      this.leaseEnd = Math.max(this.leaseEnd, sentAt + this.options.ttlMs / 2);
      if (!this.validated) await this.validate(beat);
      return;
    }
    this.lose("heartbeat record gone");
    const previous = this.nodeId;
    const next = newNodeId();
    const joinedAt = this.now();
    if (!(await this.write(next, "NX"))) throw new Error(`node id ${next} is taken`);
    if (beat !== this.beats) return;
    this.nodeId = next;
    this.incarnations.add(next);
    if (this.incarnations.size > KEPT_INCARNATIONS + 1) this.incarnations.delete(first(this.incarnations));
    this.leaseEnd = joinedAt + this.options.ttlMs / 2;
    this.logger.warn({ previous, nodeId: next }, "heartbeat record was gone: rejoined as a new incarnation");
    await this.validate(beat);
  }

  private async validate(beat: number): Promise<void> {
    const losses = this.losses;
    const previous = [...this.incarnations].filter((id) => id !== this.nodeId);
    await this.hooks.listen(this.nodeId);
    await this.hooks.revalidate(previous);
    if (beat !== this.beats || losses !== this.losses) return;
    this.validated = true;
    this.logger.info("registrations validated: delivering again");
  }

  private lose(why: string): void {
    this.losses++;
    if (!this.validated) return;
    this.validated = false;
    this.logger.warn({ why }, "fenced: delivering nothing to owners until registrations are validated again");
  }

  private async write(nodeId: string, condition: "NX" | "XX"): Promise<boolean> {
    const record: NodeRecord = {
      nodeId,
      startedAt: this.startedAt,
      beatAt: Date.now(),
      ...this.hooks.record(),
    };
    if (this.options.channelRules !== undefined) record.channelRules = this.options.channelRules;
    const written = await HEARTBEAT.run(
      this.link,
      [this.names.node(nodeId), this.names.registry()],
      [nodeId, JSON.stringify(record), String(this.options.ttlMs), condition],
    );
    return written === 1;
  }
}

function newNodeId(): string {
  return randomBytes(8).toString("hex");
}

function first(ids: Set<string>): string {
  for (const id of ids) return id;
  throw new Error("no incarnation");
}
