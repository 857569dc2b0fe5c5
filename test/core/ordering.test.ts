import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message, Reply } from "../../src/index.js";
import { delayedAdapter } from "../helpers/delayed-adapter.js";
import { embeddedNode, recordingClient } from "../helpers/embedded.js";

const N = 10_000;

const dataOf = (inbox: Message[]) => inbox.map((m) => ("data" in m ? m.data : undefined));

describe("ordering", async () => {
  const node = await embeddedNode();

  it(`keeps the order of ${N} sends from one sender to one owner`, async () => {
    const owner = recordingClient(node, "o-owner");
    const sender = node.client("o-sender");
    await owner.client.reg("o-p2p");
    const replies = await Promise.all(Array.from({ length: N }, (_, i) => sender.send("o-p2p", i)));
    assert.ok(replies.every((r) => r.event === "sending_succeeded"));
    assert.deepEqual(
      dataOf(owner.inbox),
      Array.from({ length: N }, (_, i) => i),
    );
  });

  it(`keeps the order of ${N} publishes from one publisher at each of two subscribers`, async () => {
    const s1 = recordingClient(node, "o-s1");
    const s2 = recordingClient(node, "o-s2");
    const publisher = node.client("o-pub");
    await s1.client.sub("o-ps");
    await s2.client.sub("o-ps");
    for (let i = 0; i < N; i++) void publisher.pub("o-ps", `m${i}`);
    await publisher.ping();
    const expected = Array.from({ length: N }, (_, i) => `m${i}`);
    assert.deepEqual(dataOf(s1.inbox), expected);
    assert.deepEqual(dataOf(s2.inbox), expected);
  });

  it("runs and answers one client's commands in order when the distribution layer answers out of order", async () => {
    const slow = await embeddedNode({ adapter: delayedAdapter({ maxDelayMs: 5 }) });
    const client = slow.client("o-async");
    const answered: Reply[] = [];
    const pending: Promise<unknown>[] = [];
    const expected: string[] = [];
    for (let i = 0; i < 200; i++) {
      const ch = `o-ch${i % 7}`;
      // reg, reg again, unreg, unreg again: each answer depends on the one before.
      pending.push(client.reg(ch).then((r) => answered.push(r)));
      pending.push(client.reg(ch).then((r) => answered.push(r)));
      pending.push(client.unreg(ch).then((r) => answered.push(r)));
      pending.push(client.unreg(ch).then((r) => answered.push(r)));
      expected.push(
        "registration_succeeded",
        "registration_already_exist",
        "unregistration_succeeded",
        "registration_not_found",
      );
    }
    await Promise.all(pending);
    assert.deepEqual(
      answered.map((r) => r.event),
      expected,
    );
  });
});
