import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Fault } from "../../src/index.js";
import { delayedAdapter } from "../helpers/delayed-adapter.js";
import { embeddedNode } from "../helpers/embedded.js";

describe("faults of the distribution layer become internal_error", async () => {
  it("a failing adapter: internal_error for every distributed command, ping still answers", async () => {
    const node = await embeddedNode({ adapter: delayedAdapter({ fail: true }) });
    const client = node.client("f1");
    assert.deepEqual(await client.reg("r"), {
      event: "internal_error",
      from: "west",
      channel: "r",
      reason: "server fault",
    });
    assert.equal((await client.send("r", "x")).event, "internal_error");
    assert.equal((await client.sub("s")).event, "internal_error");
    assert.equal((await client.pub("s", "x")).event, "internal_error");
    assert.equal((await client.ping()).event, "pong");
    // The failed register left nothing behind: a retry is not "already_exist".
    assert.equal((await client.reg("r")).event, "internal_error");
    assert.equal((await client.unsub("s")).event, "subscription_not_found");
  });

  it("an adapter that never answers: internal_error after the command timeout, and the client goes on", async () => {
    const node = await embeddedNode({ adapter: delayedAdapter({ hang: true }), commandTimeoutMs: 50 });
    const client = node.client("f2");
    const started = Date.now();
    assert.deepEqual(await client.reg("r"), {
      event: "internal_error",
      from: "west",
      channel: "r",
      reason: "timed out",
    });
    assert.ok(Date.now() - started >= 45);
    assert.equal((await client.ping()).event, "pong");
  });

  it("an adapter failing with a Fault: internal_error with the Fault's reason, never its message", async () => {
    const failure = new Fault("redis unavailable", "connection to 10.0.0.7:6379 refused", {
      cause: new Error("ECONNREFUSED"),
    });
    const node = await embeddedNode({ adapter: delayedAdapter({ fail: failure }) });
    const client = node.client("f3");
    for (const answer of [await client.reg("r"), await client.sub("s"), await client.pub("s", "x")])
      assert.deepEqual(
        { event: answer.event, reason: answer.reason },
        { event: "internal_error", reason: "redis unavailable" },
      );
  });

  it("an error that is no Fault is a server fault, whatever its message says", async () => {
    const node = await embeddedNode({
      adapter: delayedAdapter({ fail: Object.assign(new Error("timed out"), { reason: "timed out" }) }),
    });
    assert.equal((await node.client("f4").reg("r")).reason, "server fault");
  });

  it("a command queued behind others when its client closes: internal_error, connection closed", async () => {
    const node = await embeddedNode({ adapter: delayedAdapter({ maxDelayMs: 20 }) });
    const client = node.client("f5");
    const first = client.reg("r1");
    const queued = client.sub("s1");
    await client.close();
    await first;
    assert.deepEqual(await queued, {
      event: "internal_error",
      from: "west",
      channel: "s1",
      reason: "connection closed",
    });
  });

  it("a native handler that throws does not stop delivery to the others", async () => {
    const node = await embeddedNode();
    const got: string[] = [];
    const thrower = node.client("thrower", () => {
      throw new Error("handler bug");
    });
    const fine = node.client("fine", (m) => got.push(m.event));
    await thrower.sub("t");
    await fine.sub("t");
    assert.equal((await fine.pub("t", "x")).event, "publication_succeeded");
    assert.deepEqual(got, ["new_message"]);
  });
});
