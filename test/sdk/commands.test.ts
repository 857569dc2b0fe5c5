import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Wire } from "../../src/sdk/codecs/wire.js";
import { Commands } from "../../src/sdk/commands.js";
import { WestError } from "../../src/sdk/errors.js";

/** A fake connection: what was written, and whether it is open. */
function fakeConnection() {
  const written: Wire[] = [];
  const connection = { open: false, written };
  const commands = new Commands((message) => {
    if (!connection.open) return false;
    written.push(message);
    return true;
  });
  return { connection, commands };
}

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (error: WestError) => error.code,
  );

describe("the SDK's commands between call and reply", () => {
  it("waits unwritten while disconnected and goes out in call order once open", async () => {
    const { connection, commands } = fakeConnection();
    const first = commands.run({ event: "publish", channel: "a", data: 1 }, 1000);
    const second = commands.run({ event: "publish", channel: "a", data: 2 }, 1000);
    assert.equal(connection.written.length, 0);
    connection.open = true;
    commands.flush();
    assert.deepEqual(
      connection.written.map((message) => [message.id, message.data]),
      [
        ["1", 1],
        ["2", 2],
      ],
    );
    commands.reply({ event: "publication_succeeded", id: "2" });
    commands.reply({ event: "publication_failed", id: "1", reason: "why" });
    assert.equal(await code(first), "publication_failed");
    assert.equal((await second).event, "publication_succeeded");
  });

  it("a written command whose connection drops is rejected with disconnected and never written again", async () => {
    const { connection, commands } = fakeConnection();
    connection.open = true;
    const written = commands.run({ event: "send", channel: "a", data: 1 }, 1000);
    connection.open = false;
    const waiting = commands.run({ event: "send", channel: "a", data: 2 }, 1000);
    commands.dropped();
    assert.equal(await code(written), "disconnected");
    connection.open = true;
    commands.flush();
    assert.deepEqual(
      connection.written.map((message) => message.data),
      [1, 2],
    );
    commands.reply({ event: "sending_succeeded", id: "2" });
    assert.equal(await code(waiting), "resolved");
    assert.equal(commands.size, 0);
  });

  it("times out, ignores late and unknown replies, and rejects everything on close", async () => {
    const { connection, commands } = fakeConnection();
    connection.open = true;
    const late = commands.run({ event: "ping" }, 10);
    assert.equal(await code(late), "timeout");
    assert.equal(commands.reply({ event: "pong", id: "1" }), false);
    assert.equal(commands.reply({ event: "pong", id: "keepalive" }), false);
    const pending = commands.run({ event: "ping" }, 1000);
    commands.closed();
    const error = await pending.catch((caught: unknown) => caught);
    assert.ok(error instanceof WestError);
    assert.equal(error.code, "closed");
  });
});
