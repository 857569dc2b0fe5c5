import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import { RedisNames } from "../../src/adapters/redis/keys.js";
import type { RedisArgument, RedisLink } from "../../src/adapters/redis/link.js";
import { Membership } from "../../src/adapters/redis/membership.js";
import { HEARTBEAT, LEAVE } from "../../src/adapters/redis/scripts.js";
import { createLogger } from "../../src/log.js";

const TTL_MS = 1000;
const names = new RedisNames("t:");

/**
 * The heartbeat scripts over an in-memory store whose expiries follow a fake clock; Redis can be up, stalled
 * (commands wait until `release()`, then run), or down (commands fail at once).
 */
class FakeRedis {
  now = 0;
  mode: "up" | "stalled" | "down" = "up";
  readonly records = new Map<string, { value: string; expiresAt: number }>();
  private stalled: (() => void)[] = [];

  readonly link = {
    command: (_key: string, args: RedisArgument[]) => this.command(args.map(String)),
  } as unknown as RedisLink;

  release(): void {
    const stalled = this.stalled;
    this.stalled = [];
    this.mode = "up";
    for (const run of stalled) run();
  }

  has(key: string): boolean {
    const record = this.records.get(key);
    return record !== undefined && record.expiresAt > this.now;
  }

  private command(args: string[]): Promise<unknown> {
    if (this.mode === "down") return Promise.reject(new Error("connection lost"));
    if (this.mode === "stalled")
      return new Promise((resolve) => this.stalled.push(() => resolve(this.script(args))));
    return Promise.resolve(this.script(args));
  }

  private script([, sha, , heartbeat, , , value, ttl, condition]: string[]): number {
    const key = heartbeat as string;
    if (sha === LEAVE.sha) {
      this.records.delete(key);
      return 1;
    }
    assert.equal(sha, HEARTBEAT.sha);
    if (condition === "NX" ? this.has(key) : !this.has(key)) return 0;
    this.records.set(key, { value: value as string, expiresAt: this.now + Number(ttl) });
    return 1;
  }
}

/** A deferred re-validation, so a test decides when it ends. */
function revalidations() {
  const calls: { previous: readonly string[]; finish(): void }[] = [];
  const revalidate = (previous: readonly string[]) =>
    new Promise<void>((resolve) => calls.push({ previous, finish: resolve }));
  return { calls, revalidate };
}

describe("membership: heartbeat, lease and fencing (fake clock)", () => {
  let redis: FakeRedis;
  let revalidation: ReturnType<typeof revalidations>;
  let listened: string[];
  let membership: Membership;

  beforeEach(async () => {
    mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
    redis = new FakeRedis();
    revalidation = revalidations();
    listened = [];
    membership = new Membership(
      redis.link,
      names,
      { ttlMs: TTL_MS, beatTimeoutMs: 60_000, now: () => redis.now },
      {
        record: () => ({ url: undefined, connections: 0, registrations: 0, subscriptions: 0 }),
        listen: async (nodeId) => {
          listened.push(nodeId);
        },
        revalidate: revalidation.revalidate,
      },
      createLogger("silent"),
    );
    await membership.start();
  });
  afterEach(() => mock.timers.reset());

  /** Moves the clock and fires the timers due, then lets the work they started settle. */
  async function advance(ms: number): Promise<void> {
    redis.now += ms;
    mock.timers.tick(ms);
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  it("the lease ends TTL/2 after the last acknowledged renewal was sent, checked at the moment of delivery", async () => {
    assert.equal(membership.mayDeliver(), true);
    // No timer runs (a paused process resumes with its queued work first): the clock alone ends the lease.
    redis.now = TTL_MS / 2 - 1;
    assert.equal(membership.mayDeliver(), true);
    redis.now = TTL_MS / 2;
    assert.equal(membership.mayDeliver(), false);
  });

  it("renewals every TTL/4 keep the lease and the record", async () => {
    for (let i = 0; i < 12; i++) await advance(TTL_MS / 4);
    assert.equal(membership.mayDeliver(), true);
    assert.ok(redis.has(names.node(membership.nodeId)));
    assert.equal(revalidation.calls.length, 0, "no lapse, nothing to re-validate");
  });

  it("a renewal acknowledged late counts from when it was sent, not from when its answer came", async () => {
    redis.mode = "stalled";
    await advance(TTL_MS / 4); // a renewal sent at 250 waits in Redis
    redis.now = 700;
    assert.equal(membership.mayDeliver(), false, "the first lease (until 500) is over");
    redis.release();
    await advance(0);
    revalidation.calls.shift()?.finish();
    await advance(0);
    assert.equal(membership.mayDeliver(), true, "renewed until 250 + 500 = 750");
    redis.now = 750;
    assert.equal(membership.mayDeliver(), false);
  });

  it("after its lease lapsed, the node delivers again only once its registrations are re-validated", async () => {
    redis.mode = "down";
    await advance(TTL_MS / 2);
    assert.equal(membership.mayDeliver(), false);
    redis.mode = "up";
    await advance(TTL_MS / 4);
    assert.equal(revalidation.calls.length, 1, "renewed, then re-validating");
    assert.equal(membership.mayDeliver(), false, "not before the re-validation ends");
    revalidation.calls[0]?.finish();
    await advance(0);
    assert.equal(membership.mayDeliver(), true);
  });

  it("a record that expired (the node was paused past the TTL) is never renewed: the node rejoins under a new id and moves its registrations", async () => {
    const first = membership.nodeId;
    redis.now += TTL_MS + 200; // paused: no timer ran, the record expired
    assert.equal(membership.mayDeliver(), false);
    await advance(TTL_MS / 4);
    assert.notEqual(membership.nodeId, first);
    assert.equal(redis.has(names.node(first)), false, "the old record was not brought back");
    assert.ok(redis.has(names.node(membership.nodeId)));
    assert.deepEqual(listened, [membership.nodeId], "requests now come to the new id");
    assert.deepEqual(revalidation.calls[0]?.previous, [first], "records naming the old id are its own");
    assert.deepEqual([...membership.incarnations], [first, membership.nodeId]);
    revalidation.calls[0]?.finish();
    await advance(0);
    assert.equal(membership.mayDeliver(), true);
  });

  it("a lost connection to Redis fences the node at once, until it re-validates", async () => {
    membership.connectionLost();
    assert.equal(membership.mayDeliver(), false);
    membership.beat();
    await advance(0);
    revalidation.calls[0]?.finish();
    await advance(0);
    assert.equal(membership.mayDeliver(), true);
  });

  it("a re-validation that raced another loss does not count: the next one does", async () => {
    membership.connectionLost();
    membership.beat();
    await advance(0);
    membership.connectionLost();
    revalidation.calls[0]?.finish();
    await advance(0);
    assert.equal(membership.mayDeliver(), false);
    await advance(TTL_MS / 4);
    revalidation.calls[1]?.finish();
    await advance(0);
    assert.equal(membership.mayDeliver(), true);
  });

  it("stopping deletes the node's record", async () => {
    const id = membership.nodeId;
    await membership.stop();
    assert.equal(redis.has(names.node(id)), false);
  });
});
