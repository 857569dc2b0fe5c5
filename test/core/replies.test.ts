import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Reason, Reply, ReplyEvent } from "../../src/index.js";
import { embeddedNode } from "../helpers/embedded.js";

/** A *_failed reply as a native client gets it: with why; the replies that do not fail have no reason field. */
const failed = (event: ReplyEvent, channel: string, reason: Reason): Reply => ({
  event,
  from: "west",
  channel,
  reason,
});

describe("every reply of the command table, native client (failures say why)", async () => {
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
    assert.deepEqual(await a.reg("a b"), {
      event: "registration_failed",
      from: "west",
      channel: "a b",
      reason: "channel name contains whitespace",
    });
    assert.deepEqual(await a.reg(""), failed("registration_failed", "", "channel name is empty"));
    assert.deepEqual(await a.reg(undefined as unknown as string), {
      event: "registration_failed",
      from: "west",
      reason: "missing channel",
    });
  });

  it("unregister: succeeded for the owner, not_found for anyone else, failed without a valid channel", async () => {
    await a.reg("r2");
    assert.deepEqual(await b.unreg("r2"), { event: "registration_not_found", from: "west", channel: "r2" });
    assert.deepEqual(await a.unreg("r2"), { event: "unregistration_succeeded", from: "west", channel: "r2" });
    assert.equal((await a.unreg("r2")).event, "registration_not_found");
    assert.deepEqual(
      await a.unreg("bad name"),
      failed("unregistration_failed", "bad name", "channel name contains whitespace"),
    );
  });

  it("send: succeeded to an owner, registration_not_found without one, failed without channel or data", async () => {
    await b.reg("r3");
    assert.deepEqual(await a.send("r3", "hi"), { event: "sending_succeeded", from: "west", channel: "r3" });
    assert.deepEqual(await a.send("nobody", "hi"), {
      event: "registration_not_found",
      from: "west",
      channel: "nobody",
    });
    assert.deepEqual(await a.send("", "hi"), failed("sending_failed", "", "channel name is empty"));
    assert.deepEqual(
      await a.send("r3", undefined as unknown as string),
      failed("sending_failed", "r3", "missing data"),
    );
    assert.deepEqual(await a.send("r3", null), failed("sending_failed", "r3", "missing data"));
  });

  it("subscribe: succeeded, already_exist, failed without a valid channel", async () => {
    assert.deepEqual(await a.sub("s1"), { event: "subscription_succeeded", from: "west", channel: "s1" });
    assert.deepEqual(await a.sub("s1"), { event: "subscription_already_exist", from: "west", channel: "s1" });
    assert.deepEqual(
      await a.sub('a"b'),
      failed("subscription_failed", 'a"b', "channel name contains a quote"),
    );
  });

  it("unsubscribe: succeeded, subscription_not_found, failed without a valid channel", async () => {
    await a.sub("s2");
    assert.deepEqual(await a.unsub("s2"), { event: "unsubscription_succeeded", from: "west", channel: "s2" });
    assert.deepEqual(await a.unsub("s2"), { event: "subscription_not_found", from: "west", channel: "s2" });
    assert.deepEqual(
      await a.unsub("\u0007"),
      failed("unsubscription_failed", "\u0007", "channel name contains a control character"),
    );
  });

  it("publish: succeeded also with no subscriber, failed without channel or data", async () => {
    assert.deepEqual(await a.pub("empty", "x"), {
      event: "publication_succeeded",
      from: "west",
      channel: "empty",
    });
    assert.deepEqual(await a.pub("", "x"), failed("publication_failed", "", "channel name is empty"));
    assert.deepEqual(await a.pub("empty", null), failed("publication_failed", "empty", "missing data"));
  });
});
