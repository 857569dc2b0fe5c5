import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { localAdapter } from "../../src/adapters/local/local-adapter.js";
import type { AdapterContext, HistoryPage, HistoryQuery, Message, Stamped } from "../../src/index.js";
import { embeddedNode } from "../helpers/embedded.js";

const EPOCH = "E1";
const stamped = (offset: number, epoch = EPOCH): Stamped => ({
  event: "new_message",
  from: "p",
  channel: "h.c",
  data: `m${offset}`,
  offset,
  epoch,
});

/**
 * A node whose adapter's history is scripted by the test: what it keeps (`kept`), whether reads answer at once or
 * later, and publications arriving as a remote adapter would hand them over (`arrive`), gaps and all.
 */
async function scripted(options: { asyncReads?: boolean } = {}) {
  const kept: Stamped[] = [];
  let top = 0;
  let events: AdapterContext["events"] | undefined;
  const reads: HistoryQuery[] = [];
  const page = (query: HistoryQuery): HistoryPage => {
    reads.push(query);
    const after = query.after;
    if (after === undefined) return { epoch: EPOCH, top, entries: kept.slice(-query.limit), complete: true };
    const entries = kept.filter((e) => e.offset > after.offset).slice(0, query.limit);
    const complete = after.epoch === EPOCH && (entries[0]?.offset ?? top + 1) === after.offset + 1;
    return { epoch: EPOCH, top, entries: after.epoch === EPOCH ? entries : [], complete };
  };
  const node = await embeddedNode({
    channels: [{ match: "h.>", history: { size: 100, ttlSeconds: 60 } }],
    adapter: (context) => {
      events = context.events;
      return {
        ...localAdapter(context),
        history: {
          publish: () => ({ epoch: EPOCH, offset: ++top }),
          position: () => ({ epoch: EPOCH, offset: top }),
          read: (_channel, query) =>
            options.asyncReads
              ? new Promise((resolve) => setTimeout(() => resolve(page(query)), 5))
              : page(query),
        },
      };
    },
  });
  const keep = (...offsets: number[]) => {
    for (const offset of offsets) kept.push(stamped(offset));
    top = Math.max(top, ...offsets);
  };
  const arrive = (delivery: Stamped) => events?.publication(delivery);
  const discontinuity = () => events?.discontinuity();
  return { node, keep, arrive, reads, discontinuity };
}

function subscriber(node: Awaited<ReturnType<typeof embeddedNode>>) {
  const inbox: Message[] = [];
  let closed = false;
  const client = node.client("s", (message) => inbox.push(message));
  const offsets = () => inbox.flatMap((m) => ("offset" in m && m.event === "new_message" ? [m.offset] : []));
  return {
    client,
    inbox,
    offsets,
    closed: () => closed || client.key === undefined,
    close: () => (closed = true),
  };
}

describe("history feeds: each subscriber in offset order", () => {
  it("delivers consecutive offsets and drops what it already got", async () => {
    const { node, arrive, keep } = await scripted();
    keep(1, 2);
    const s = subscriber(node);
    const reply = await s.client.sub("h.c");
    assert.equal(reply.offset, 2);
    arrive(stamped(2));
    arrive(stamped(3));
    arrive(stamped(3));
    arrive(stamped(4));
    assert.deepEqual(s.offsets(), [3, 4]);
  });

  it("a gap is filled from history, with what arrives meanwhile held back and put after it", async () => {
    const { node, arrive, keep, reads } = await scripted({ asyncReads: true });
    const s = subscriber(node);
    await s.client.sub("h.c");
    keep(1, 2, 3, 4);
    arrive(stamped(1));
    arrive(stamped(4));
    arrive(stamped(5));
    assert.deepEqual(s.offsets(), [1], "2 and 3 are being read");
    keep(5);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.deepEqual(s.offsets(), [1, 2, 3, 4, 5]);
    assert.deepEqual(reads.at(-1), { after: { epoch: EPOCH, offset: 1 }, limit: 100 });
  });

  it("subscribers in step share one gap fill: one history read for all of them, and a late one catches up and joins them", async () => {
    const { node, arrive, keep, reads } = await scripted({ asyncReads: true });
    const inboxes = [0, 1, 2].map(() => subscriber(node));
    for (const s of inboxes) await s.client.sub("h.c");
    keep(1, 2, 3);
    arrive(stamped(1));
    arrive(stamped(3));
    const before = reads.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(reads.length - before, 1, "one read for the three");
    for (const s of inboxes) assert.deepEqual(s.offsets(), [1, 2, 3]);

    const late = subscriber(node);
    const subscribing = late.client.sub("h.c", { recover: { offset: 2, epoch: EPOCH } });
    keep(4);
    arrive(stamped(4));
    assert.equal((await subscribing).recovered, true);
    arrive(stamped(5));
    for (const s of [...inboxes, late]) assert.deepEqual(s.offsets().slice(-2), [4, 5]);
    assert.deepEqual(late.offsets(), [3, 4, 5]);
  });

  it("a gap history cannot fill closes the client (a socket with 4004): its client resubscribes with recovery", async () => {
    const { node, arrive } = await scripted();
    const s = subscriber(node);
    await s.client.sub("h.c");
    arrive(stamped(1));
    arrive(stamped(3));
    assert.deepEqual(s.offsets(), [1]);
    await assert.rejects(s.client.ping(), /closed/);
  });

  it("a new epoch is taken from its first publication; anything else of another epoch is a gap that cannot be filled", async () => {
    const { node, arrive } = await scripted();
    const a = subscriber(node);
    await a.client.sub("h.c");
    arrive(stamped(1));
    arrive(stamped(1, "E2"));
    arrive(stamped(2, "E2"));
    assert.deepEqual(a.offsets(), [1, 1, 2]);
    arrive(stamped(5, "E3"));
    await assert.rejects(a.client.ping(), /closed/);
  });

  it("after publications may have been lost on their way (a lost Redis connection), a new epoch is a gap, until a publication follows", async () => {
    const { node, arrive, discontinuity } = await scripted();
    const a = subscriber(node);
    await a.client.sub("h.c");
    arrive(stamped(1));
    discontinuity();
    arrive(stamped(2));
    arrive(stamped(1, "E2"));
    assert.deepEqual(a.offsets(), [1, 2, 1], "2 followed 1: nothing was lost, so E2 from its start is taken");
    discontinuity();
    arrive(stamped(1, "E3"));
    assert.deepEqual(a.offsets(), [1, 2, 1]);
    await assert.rejects(a.client.ping(), /closed/);
  });

  it("recovery replays the missed ones after the reply, then what arrived during the subscribe, without duplicates", async () => {
    const { node, arrive, keep } = await scripted({ asyncReads: true });
    keep(1, 2, 3);
    const s = subscriber(node);
    const subscribing = s.client.sub("h.c", { recover: { offset: 1, epoch: EPOCH } });
    // Published while the subscribe reads history: 3 is in what it reads, 4 is not.
    arrive(stamped(3));
    keep(4);
    arrive(stamped(4));
    const reply = await subscribing;
    assert.equal(reply.recovered, true);
    assert.deepEqual(s.offsets(), [2, 3, 4]);
    arrive(stamped(5));
    assert.deepEqual(s.offsets(), [2, 3, 4, 5]);
  });
});
