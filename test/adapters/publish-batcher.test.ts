import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeBatch, splitBatch } from "../../src/adapters/redis/batches.js";
import { PublishBatcher } from "../../src/adapters/redis/publish-batcher.js";
import { decodeNodeMessage, encodeNodeMessage } from "../../src/core/node-messages.js";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("batches of node messages", () => {
  it("split gives back the messages a batch was made of; a single message is itself", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 2, maxLength: 20 }), (parts) => {
        const messages = parts.map((part) => Buffer.from([1, ...part]));
        assert.deepEqual(splitBatch(encodeBatch(messages)), messages);
      }),
    );
    const single = encodeNodeMessage({
      origin: "n1",
      seq: 7,
      type: "publish",
      delivery: { event: "new_message", from: "k", channel: "c", data: "x" },
    });
    assert.deepEqual(splitBatch(single), [single]);
    assert.equal(decodeNodeMessage((splitBatch(single) as Buffer[])[0] as Buffer)?.seq, 7);
  });

  it("a batch cut short or with bytes after its messages is nothing", () => {
    const batch = encodeBatch([Buffer.from([1, 2, 3]), Buffer.from([1, 4])]);
    for (let length = 1; length < batch.length; length++)
      assert.equal(splitBatch(batch.subarray(0, length)), undefined, `cut at ${length}`);
    assert.equal(splitBatch(Buffer.concat([batch, Buffer.from([0])])), undefined);
  });
});

describe("a node's publishes of one turn", () => {
  it("go to Redis as one message per channel, in order, and each settles with its batch", async () => {
    const sent: { channel: string; message: Buffer }[] = [];
    const batcher = new PublishBatcher(async (channel, message) => {
      sent.push({ channel, message });
      return channel === "a" ? 2 : 0;
    });
    const results = [
      batcher.publish("a", Buffer.from([1, 1])),
      batcher.publish("b", Buffer.from([1, 2])),
      batcher.publish("a", Buffer.from([1, 3])),
    ];
    assert.equal(sent.length, 0, "nothing before the turn ends");
    assert.equal(results[0], results[2], "one promise per batch, shared by its messages");
    assert.notEqual(results[0], results[1]);
    assert.deepEqual(await Promise.all(results), [2, 0, 2]);
    assert.deepEqual(
      sent.map(({ channel, message }) => [channel, splitBatch(message)?.map((m) => m[1])]),
      [
        ["a", [1, 3]],
        ["b", [2]],
      ],
    );
    assert.deepEqual(sent[1]?.message, Buffer.from([1, 2]), "alone in its turn: sent as it is");
    await batcher.publish("a", Buffer.from([1, 9]));
    assert.equal(sent.length, 3, "a later turn is another Redis message");
  });

  it("a failed PUBLISH fails every message of its batch; the next turn is unaffected", async () => {
    let failing = true;
    const batcher = new PublishBatcher(async () => {
      if (failing) throw new Error("redis down");
      return 1;
    });
    const failed = [batcher.publish("a", Buffer.from([1])), batcher.publish("a", Buffer.from([2]))];
    for (const result of await Promise.allSettled(failed)) assert.equal(result.status, "rejected");
    failing = false;
    assert.equal(await batcher.publish("a", Buffer.from([3])), 1);
  });

  it("splits a turn's messages into batches of at most 512 KiB, in order", async () => {
    const sent: Buffer[] = [];
    const batcher = new PublishBatcher(async (_channel, message) => {
      sent.push(message);
      return 1;
    });
    const big = (n: number) => Buffer.alloc(200 * 1024, n);
    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.publish("a", big(n))));
    await turn();
    const order = sent.flatMap((message) => (splitBatch(message) ?? []).map((m) => m[0]));
    assert.deepEqual(order, [1, 2, 3, 4, 5]);
    assert.ok(sent.length >= 3, `${sent.length} Redis messages`);
    for (const message of sent) assert.ok(message.length <= 512 * 1024 + 64);
  });
});
