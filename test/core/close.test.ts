import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { embeddedNode, recordingClient } from "../helpers/embedded.js";

describe("closing a client", async () => {
  const node = await embeddedNode();

  it("frees its registrations and drops its subscriptions", async () => {
    const leaving = recordingClient(node, "leaving");
    const other = recordingClient(node, "other");
    await leaving.client.reg("c-r1");
    await leaving.client.reg("c-r2");
    await leaving.client.sub("c-s1");
    await other.client.sub("c-s1");
    await leaving.client.close();

    assert.equal((await other.client.send("c-r1", "x")).event, "registration_not_found");
    assert.equal((await other.client.reg("c-r2")).event, "registration_succeeded");
    await other.client.pub("c-s1", "after close");
    assert.equal(leaving.inbox.length, 0);
    assert.equal(other.inbox.length, 1);
  });

  it("rejects calls on a closed client and a second close is harmless", async () => {
    const client = node.client("closing");
    await client.close();
    await client.close();
    await assert.rejects(client.ping(), /closed/);
  });

  it("stopping the node closes every client", async () => {
    const own = await embeddedNode();
    const a = own.client("a");
    await a.reg("x");
    await own.stop();
    await assert.rejects(a.ping(), /closed/);
    assert.throws(() => own.client("b"), /stopped/);
  });
});
