import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { embeddedNode } from "../helpers/embedded.js";

describe("every reply of the command table, native client", async () => {
  const node = await embeddedNode();
  const a = node.client("a");
  const b = node.client("b");

  it("ping answers pong", async () => {
    assert.deepEqual(await a.ping(), { event: "pong", from: "west" });
  });

  it("register: succeeded, already_exist for the owner, denied for another client, failed without a valid channel", async () => {
    assert.deepEqual(await a.reg("r1"), { event: "registration_succeeded", from: "west", channel: "r1" });
    assert.deepEqual(await a.reg("r1"), { event: "registration_already_exist", from: "west", channel: "r1" });
    assert.deepEqual(await b.reg("r1"), { event: "registration_denied", from: "west", channel: "r1" });
    assert.equal((await a.reg("")).event, "registration_failed");
    assert.equal((await a.reg(undefined as unknown as string)).event, "registration_failed");
  });

  it("unregister: succeeded for the owner, not_found for anyone else, failed without a valid channel", async () => {
    await a.reg("r2");
    assert.deepEqual(await b.unreg("r2"), { event: "registration_not_found", from: "west", channel: "r2" });
    assert.deepEqual(await a.unreg("r2"), { event: "unregistration_succeeded", from: "west", channel: "r2" });
    assert.equal((await a.unreg("r2")).event, "registration_not_found");
    assert.equal((await a.unreg("bad name")).event, "unregistration_failed");
  });

  it("send: succeeded to an owner, registration_not_found without one, failed without channel or data", async () => {
    await b.reg("r3");
    assert.deepEqual(await a.send("r3", "hi"), { event: "sending_succeeded", from: "west", channel: "r3" });
    assert.deepEqual(await a.send("nobody", "hi"), {
      event: "registration_not_found",
      from: "west",
      channel: "nobody",
    });
    assert.equal((await a.send("", "hi")).event, "sending_failed");
    assert.equal((await a.send("r3", undefined as unknown as string)).event, "sending_failed");
    assert.equal((await a.send("r3", null)).event, "sending_failed");
  });

  it("subscribe: succeeded, already_exist, failed without a valid channel", async () => {
    assert.deepEqual(await a.sub("s1"), { event: "subscription_succeeded", from: "west", channel: "s1" });
    assert.deepEqual(await a.sub("s1"), { event: "subscription_already_exist", from: "west", channel: "s1" });
    assert.equal((await a.sub('a"b')).event, "subscription_failed");
  });

  it("unsubscribe: succeeded, subscription_not_found, failed without a valid channel", async () => {
    await a.sub("s2");
    assert.deepEqual(await a.unsub("s2"), { event: "unsubscription_succeeded", from: "west", channel: "s2" });
    assert.deepEqual(await a.unsub("s2"), { event: "subscription_not_found", from: "west", channel: "s2" });
    assert.equal((await a.unsub("\u0007")).event, "unsubscription_failed");
  });

  it("publish: succeeded also with no subscriber, failed without channel or data", async () => {
    assert.deepEqual(await a.pub("empty", "x"), {
      event: "publication_succeeded",
      from: "west",
      channel: "empty",
    });
    assert.equal((await a.pub("", "x")).event, "publication_failed");
    assert.equal((await a.pub("empty", null)).event, "publication_failed");
  });
});
