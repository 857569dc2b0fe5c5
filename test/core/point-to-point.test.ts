import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "../../src/index.js";
import { embeddedNode, recordingClient } from "../helpers/embedded.js";

const deliveries = (inbox: Message[]) => inbox.filter((m) => m.event === "new_message");

describe("point-to-point channels", async () => {
  const node = await embeddedNode();

  it("several clients register their own channels, are denied others', and send to each other exactly once", async () => {
    const u1 = recordingClient(node, "u1");
    const u2 = recordingClient(node, "u2");
    const u3 = recordingClient(node, "u3");
    assert.equal((await u1.client.reg("p2p-1")).event, "registration_succeeded");
    assert.equal((await u2.client.reg("p2p-2")).event, "registration_succeeded");
    assert.equal((await u3.client.reg("p2p-1")).event, "registration_denied");
    assert.equal((await u1.client.reg("p2p-2")).event, "registration_denied");

    assert.equal((await u1.client.send("p2p-2", "to u2")).event, "sending_succeeded");
    assert.equal((await u2.client.send("p2p-1", "to u1")).event, "sending_succeeded");
    assert.equal((await u3.client.send("p2p-1", "u3 to u1")).event, "sending_succeeded");

    assert.deepEqual(deliveries(u1.inbox), [
      { event: "new_message", from: "u2", channel: "p2p-1", data: "to u1" },
      { event: "new_message", from: "u3", channel: "p2p-1", data: "u3 to u1" },
    ]);
    assert.deepEqual(deliveries(u2.inbox), [
      { event: "new_message", from: "u1", channel: "p2p-2", data: "to u2" },
    ]);
    assert.deepEqual(deliveries(u3.inbox), []);
  });

  it("after the owner unregisters, sends get registration_not_found and another client may register", async () => {
    const owner = recordingClient(node, "owner");
    const other = recordingClient(node, "other");
    await owner.client.reg("p2p-3");
    assert.equal((await other.client.unreg("p2p-3")).event, "registration_not_found");
    assert.equal((await owner.client.unreg("p2p-3")).event, "unregistration_succeeded");
    assert.equal((await other.client.send("p2p-3", "lost?")).event, "registration_not_found");
    assert.equal(deliveries(owner.inbox).length, 0);
    assert.equal((await other.client.reg("p2p-3")).event, "registration_succeeded");
    await owner.client.send("p2p-3", "now to other");
    assert.deepEqual(deliveries(other.inbox), [
      { event: "new_message", from: "owner", channel: "p2p-3", data: "now to other" },
    ]);
  });

  it("the same key on two clients is two clients: the second is denied", async () => {
    const first = recordingClient(node, "twin");
    const second = recordingClient(node, "twin");
    assert.equal((await first.client.reg("p2p-4")).event, "registration_succeeded");
    assert.equal((await second.client.reg("p2p-4")).event, "registration_denied");
    assert.equal((await second.client.unreg("p2p-4")).event, "registration_not_found");
  });

  it("an owner may send to its own channel and gets it once", async () => {
    const self = recordingClient(node, "self");
    await self.client.reg("p2p-5");
    await self.client.send("p2p-5", "me");
    assert.deepEqual(deliveries(self.inbox), [
      { event: "new_message", from: "self", channel: "p2p-5", data: "me" },
    ]);
  });
});
