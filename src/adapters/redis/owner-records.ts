import { Fault } from "../../core/faults.js";
import type { NodeEvents, Owner, OwnerRegistry } from "../../core/seam.js";
import type { Logger } from "../../log.js";
import { ownerValue, parseOwner, type RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";
import type { Membership } from "./membership.js";
import { COMPARE_AND_DELETE, COMPARE_AND_SET, RENEW_OWNER } from "./scripts.js";

export interface OwnerRecordOptions {
  /**
   * An owner record expires this long after its node last renewed it, so that the records of a node that died
   * do not stay in Redis; the node renews its records three times within it.
   */
  recordTtlMs: number;
  /** Replicas that must acknowledge a registration (WAIT) before it succeeds; 0 does not wait. */
  waitReplicas: number;
  /** How long WAIT may wait. */
  waitTimeoutMs: number;
}

/**
 * Owner records in Redis: `reg:{channel}` = `nodeId/sessionId`, claimed with SET NX (one key, so it works on a Redis
 * Cluster), released by compare-and-delete, taken over (compare-and-set) only from a node proven dead.
 */
export class RedisOwnerRegistry implements OwnerRegistry {
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly membership: Membership,
    private readonly events: NodeEvents,
    private readonly options: OwnerRecordOptions,
    private readonly logger: Logger,
  ) {}

  get nodeId(): string {
    return this.membership.nodeId;
  }

  mayDeliver(): boolean {
    return this.membership.mayDeliver();
  }

  /** Renews this node's records from now on. */
  startRenewals(): void {
    this.renewTimer = setInterval(
      () =>
        this.revalidate([]).catch((error: unknown) =>
          this.logger.warn({ err: error }, "renewing owner records failed"),
        ),
      Math.max(1, Math.floor(this.options.recordTtlMs / 3)),
    );
    this.renewTimer.unref();
  }

  stopRenewals(): void {
    clearInterval(this.renewTimer);
  }

  async claim(channel: string, sessionId: number): Promise<boolean> {
    const key = this.names.owner(channel);
    const claimedAs = this.membership.nodeId;
    const mine = ownerValue({ nodeId: claimedAs, sessionId });
    const ttl = String(this.options.recordTtlMs);
    if ((await this.link.command(key, ["SET", key, mine, "NX", "PX", ttl])) !== "OK") {
      const holder = (await this.link.command(key, ["GET", key])) as string | null;
      if (holder !== null && !(await this.mayTakeOver(holder))) return false;
      const taken =
        holder === null
          ? (await this.link.command(key, ["SET", key, mine, "NX", "PX", ttl])) === "OK"
          : (await COMPARE_AND_SET.run(this.link, [key], [holder, mine, ttl])) === 1;
      if (!taken) return false;
      if (holder !== null)
        this.logger.info({ channel, holder }, "took over the registration of a dead owner");
    }
    await this.confirmReplicas(key, mine);
    // The node became a new incarnation meanwhile: the record must name the one it is now.
    if (this.membership.nodeId !== claimedAs)
      return (await this.renew(channel, sessionId, [claimedAs])) === 1;
    return true;
  }

  async release(channel: string, owner: Owner): Promise<void> {
    const key = this.names.owner(channel);
    await COMPARE_AND_DELETE.run(this.link, [key], [ownerValue(owner)]);
  }

  async ownerOf(channel: string): Promise<Owner | undefined> {
    const key = this.names.owner(channel);
    const holder = (await this.link.command(key, ["GET", key])) as string | null;
    return holder === null ? undefined : parseOwner(holder);
  }

  async isAlive(nodeId: string): Promise<boolean> {
    const key = this.names.node(nodeId);
    return (await this.link.command(key, ["EXISTS", key])) === 1;
  }

  /**
   * Renews the record of every registration of this node: each must still name it (or one of the `previous`
   * incarnations: then it is moved to the current one). A record that is missing or names another owner is lost:
   * its owner gets `registration_lost`. Rejects if some record could not be checked.
   */
  async revalidate(previous: readonly string[]): Promise<void> {
    const registrations = [...this.events.registrations()];
    const outcomes = await Promise.allSettled(
      registrations.map(([channel, sessionId]) => this.renew(channel, sessionId, previous)),
    );
    let lost = 0;
    let failed: unknown;
    outcomes.forEach((outcome, index) => {
      const [channel, sessionId] = registrations[index] as [string, number];
      if (outcome.status === "rejected") failed = outcome.reason;
      else if (outcome.value === 0) {
        lost++;
        this.events.registrationLost(channel, sessionId);
      }
    });
    if (lost > 0) this.logger.warn({ registrations: registrations.length, lost }, "registrations lost");
    if (failed !== undefined) throw failed;
  }

  /** A record is free to take over when it names no one, an incarnation this node has left, or a dead node. */
  private async mayTakeOver(holder: string): Promise<boolean> {
    const owner = parseOwner(holder);
    if (owner === undefined) return true;
    // The local registry had no owner (the core asked it first), so a record naming this node is stale.
    if (this.membership.incarnations.has(owner.nodeId)) return true;
    return !(await this.isAlive(owner.nodeId));
  }

  private renew(channel: string, sessionId: number, previous: readonly string[]): Promise<unknown> {
    const key = this.names.owner(channel);
    const mine = ownerValue({ nodeId: this.membership.nodeId, sessionId });
    const others = previous.map((nodeId) => ownerValue({ nodeId, sessionId }));
    return RENEW_OWNER.run(this.link, [key], [mine, String(this.options.recordTtlMs), ...others]);
  }

  private async confirmReplicas(key: string, mine: string): Promise<void> {
    const wanted = this.options.waitReplicas;
    if (wanted <= 0) return;
    const waitMs = this.options.waitTimeoutMs;
    const acknowledged = (await this.link.command(key, ["WAIT", String(wanted), String(waitMs)])) as number;
    if (acknowledged >= wanted) return;
    await COMPARE_AND_DELETE.run(this.link, [key], [mine]);
    throw new Fault(
      "not confirmed by redis replicas",
      `registration reached ${acknowledged} of ${wanted} replicas within ${waitMs} ms; withdrawn`,
    );
  }
}
