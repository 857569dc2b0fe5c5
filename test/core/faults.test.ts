import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { delayedAdapter } from "../helpers/delayed-adapter.js";
import { embeddedNode } from "../helpers/embedded.js";

describe("faults of the distribution layer become internal_error", async () => {
  it("a failing adapter: internal_error for every distributed command, ping still answers", async () => {
    const node = await embeddedNode({ adapter: delayedAdapter({ fail: true }) });
    const client = node.client("f1");
    assert.deepEqual(await client.reg("r"), { event: "internal_error", from: "west", channel: "r" });
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
    assert.equal((await client.reg("r")).event, "internal_error");
    assert.ok(Date.now() - started >= 45);
    assert.equal((await client.ping()).event, "pong");
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
