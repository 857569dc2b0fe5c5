import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "../../src/index.js";
import { embeddedNode, recordingClient } from "../helpers/embedded.js";

const count = (inbox: Message[], channel: string) =>
  inbox.filter((m) => m.event === "new_message" && m.channel === channel).length;

describe("publish/subscribe channels", async () => {
  const node = await embeddedNode();

  it("each publish reaches every current subscriber exactly once, with overlapping channel sets", async () => {
    const s1 = recordingClient(node, "s1"); // ps-a, ps-b
    const s2 = recordingClient(node, "s2"); // ps-b, ps-c
    const s3 = recordingClient(node, "s3"); // ps-a, ps-b, ps-c
    const publisher = recordingClient(node, "pub"); // not subscribed
    for (const ch of ["ps-a", "ps-b"]) await s1.client.sub(ch);
    for (const ch of ["ps-b", "ps-c"]) await s2.client.sub(ch);
    for (const ch of ["ps-a", "ps-b", "ps-c"]) await s3.client.sub(ch);

    await publisher.client.pub("ps-a", "A");
    await publisher.client.pub("ps-b", "B1");
    await publisher.client.pub("ps-b", "B2");
    await publisher.client.pub("ps-c", "C");

    assert.deepEqual([count(s1.inbox, "ps-a"), count(s1.inbox, "ps-b"), count(s1.inbox, "ps-c")], [1, 2, 0]);
    assert.deepEqual([count(s2.inbox, "ps-a"), count(s2.inbox, "ps-b"), count(s2.inbox, "ps-c")], [0, 2, 1]);
    assert.deepEqual([count(s3.inbox, "ps-a"), count(s3.inbox, "ps-b"), count(s3.inbox, "ps-c")], [1, 2, 1]);
    assert.equal(publisher.inbox.length, 0);
    assert.deepEqual(s2.inbox[0], { event: "new_message", from: "pub", channel: "ps-b", data: "B1" });
  });

  it("the publisher gets its own publish once when it is subscribed", async () => {
    const self = recordingClient(node, "self");
    await self.client.sub("ps-self");
    await self.client.pub("ps-self", "echo");
    assert.deepEqual(self.inbox, [{ event: "new_message", from: "self", channel: "ps-self", data: "echo" }]);
  });

  it("after unsubscribe a client gets nothing more from that channel, and still gets its other channels", async () => {
    const sub = recordingClient(node, "unsubber");
    const stays = recordingClient(node, "stays");
    const pub = node.client("p");
    await sub.client.sub("ps-u1");
    await sub.client.sub("ps-u2");
    await stays.client.sub("ps-u1");
    await pub.pub("ps-u1", "before");
    assert.equal((await sub.client.unsub("ps-u1")).event, "unsubscription_succeeded");
    await pub.pub("ps-u1", "after");
    await pub.pub("ps-u2", "other channel");
    assert.equal(count(sub.inbox, "ps-u1"), 1);
    assert.equal(count(sub.inbox, "ps-u2"), 1);
    assert.equal(count(stays.inbox, "ps-u1"), 2);
    assert.equal((await sub.client.sub("ps-u1")).event, "subscription_succeeded");
    await pub.pub("ps-u1", "again");
    assert.equal(count(sub.inbox, "ps-u1"), 2);
  });

  it("a name may be a p2p channel and a pub/sub channel at once, independently", async () => {
    const owner = recordingClient(node, "both-owner");
    const subscriber = recordingClient(node, "both-sub");
    const other = node.client("both-other");
    await owner.client.reg("dual");
    await subscriber.client.sub("dual");
    await other.send("dual", "direct");
    await other.pub("dual", "broadcast");
    assert.deepEqual(owner.inbox, [
      { event: "new_message", from: "both-other", channel: "dual", data: "direct" },
    ]);
    assert.deepEqual(subscriber.inbox, [
      { event: "new_message", from: "both-other", channel: "dual", data: "broadcast" },
    ]);
    assert.equal((await owner.client.unsub("dual")).event, "subscription_not_found");
    assert.equal((await subscriber.client.unreg("dual")).event, "registration_not_found");
  });
});
