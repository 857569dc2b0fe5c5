import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setImmediate as nextTurn } from "node:timers/promises";
import { buildFrame, TEXT_OPCODE } from "../../src/transport/frames.js";
import { Outbox, WriteBatcher } from "../../src/transport/write-batcher.js";
import { type ClientEvent, type SocketPair, socketPair } from "../helpers/ws-pair.js";

const frame = (text: string) => buildFrame(Buffer.from(text), TEXT_OPCODE);
const message = (text: string): ClientEvent => ({
  type: "message",
  data: Buffer.from(text),
  isBinary: false,
});
const outboxOf = (pair: SocketPair) => new Outbox(pair.server, pair.connection);

/** A socket pair, a batcher and the outbox of the pair's server socket. */
async function batchedPair(): Promise<{ pair: SocketPair; batcher: WriteBatcher; outbox: Outbox }> {
  const pair = await socketPair();
  return { pair, batcher: new WriteBatcher(), outbox: outboxOf(pair) };
}

/** An outbox that counts its flushes (SocketSession extends Outbox the same way). */
class CountingOutbox extends Outbox {
  flushes = 0;
  override flush(join?: (frames: Buffer[], bytes: number) => Buffer): void {
    this.flushes++;
    super.flush(join);
  }
}

describe("WriteBatcher: a socket's frames of one tick leave in one write", () => {
  it("the frames a socket gets in one tick leave in one write, in order, once the tick's work is done", async () => {
    const { pair, batcher, outbox } = await batchedPair();
    const frames = [frame("one"), frame("two"), frame("three")];
    for (const each of frames) batcher.write(outbox, each);
    assert.deepEqual(pair.writes, [], "nothing written during the tick");
    await nextTurn();
    assert.deepEqual(pair.writes, [Buffer.concat(frames)]);
    await pair.until(() => pair.events.length === 3, 2000, "three messages");
    assert.deepEqual(pair.events, [message("one"), message("two"), message("three")]);
  });

  it("frames of the next tick leave in a write of their own", async () => {
    const { pair, batcher, outbox } = await batchedPair();
    batcher.write(outbox, frame("one"));
    await nextTurn();
    batcher.write(outbox, frame("two"));
    batcher.write(outbox, frame("three"));
    await nextTurn();
    assert.deepEqual(pair.writes, [frame("one"), Buffer.concat([frame("two"), frame("three")])]);
  });

  it("an outbox is flushed once per tick, however many frames it gets", async () => {
    const pair = await socketPair();
    const batcher = new WriteBatcher();
    const outbox = new CountingOutbox(pair.server, pair.connection);
    for (const text of ["one", "two", "three", "four"]) batcher.write(outbox, frame(text));
    await nextTurn();
    assert.equal(outbox.flushes, 1);
  });

  it("the subscribers of a fan-out, who got the same frames, share one joined buffer; one with other frames gets its own", async () => {
    const pairs = await Promise.all([socketPair(), socketPair(), socketPair(), socketPair()]);
    const [pairA, pairB, pairC, pairD] = pairs;
    const [a, b, c, d] = [outboxOf(pairA), outboxOf(pairB), outboxOf(pairC), outboxOf(pairD)];
    const batcher = new WriteBatcher();
    const [one, two, three] = [frame("one"), frame("two"), frame("three")];
    // As a publish delivers: each message to every subscriber in turn.
    for (const outbox of [a, b, c, d]) batcher.write(outbox, one);
    for (const outbox of [a, b]) batcher.write(outbox, two);
    batcher.write(c, three);
    await nextTurn();
    const [writeA, writeB, writeC, writeD] = pairs.map((pair) => pair.writes[0]);
    assert.deepEqual(writeA, Buffer.concat([one, two]));
    assert.equal(writeB, writeA, "the same Buffer, joined once");
    assert.deepEqual(writeC, Buffer.concat([one, three]));
    assert.equal(writeD, one, "a lone frame is written as it is, not copied");
    await pairC.until(() => pairC.events.length === 2, 2000, "two messages");
    assert.deepEqual(pairC.events, [message("one"), message("three")]);
  });

  it("an outbox counts the bytes it holds until it is flushed", async () => {
    const { batcher, outbox } = await batchedPair();
    batcher.write(outbox, frame("one"));
    batcher.write(outbox, frame("three"));
    assert.equal(outbox.bytes, frame("one").length + frame("three").length);
    await nextTurn();
    assert.equal(outbox.bytes, 0);
  });

  it("a socket no longer open drops the frames of its outbox", async () => {
    const { pair, batcher, outbox } = await batchedPair();
    batcher.write(outbox, frame("too late"));
    pair.server.close(1000, "bye");
    const writesOfTheClose = pair.writes.length;
    await nextTurn();
    assert.equal(pair.writes.length, writesOfTheClose, "nothing written after the close");
    assert.equal(outbox.bytes, 0, "and nothing held");
    await pair.until(() => pair.events.length > 0, 2000, "the close");
    assert.deepEqual(pair.events, [{ type: "close", code: 1000, reason: "bye" }]);
  });

  it("an empty outbox writes nothing", async () => {
    const pair = await socketPair();
    const outbox = outboxOf(pair);
    outbox.flush();
    assert.deepEqual(pair.writes, []);
    outbox.add(frame("one"));
    outbox.flush();
    outbox.flush();
    assert.deepEqual(pair.writes, [frame("one")], "a flushed outbox is empty again");
  });
});
