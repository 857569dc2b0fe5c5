/**
 * The contract between WEST and the undocumented parts of `ws` and Node it relies on (src/transport/ws-internals.ts).
 * package.json pins `ws` to `~8.23.0`: a minor or major upgrade is a deliberate change to package.json, and this
 * file must pass before it lands. Each case drives a real ws client over a real loopback TCP socket, so what is
 * checked is what a client would see, not what the code we call says it does.
 */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { BINARY_OPCODE, buildFrame, TEXT_OPCODE } from "../../src/transport/frames.js";
import { kernelQueuedBytes, writeRawFrames } from "../../src/transport/ws-internals.js";
import { type ClientEvent, socketPair } from "../helpers/ws-pair.js";

const MiB = 1024 * 1024;

/** `size` bytes: ASCII letters for a text message, every byte value in turn for a binary one. */
function payloadOf(size: number, binary: boolean): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = binary ? i % 256 : 97 + (i % 26);
  return bytes;
}

function message(text: string): ClientEvent {
  return { type: "message", data: Buffer.from(text), isBinary: false };
}

describe("ws internals: frames written past ws's Sender", () => {
  it("ws writes a ping and a close to the connection at once, when asked", async () => {
    const pair = await socketPair();
    const before = pair.writes.length;
    pair.server.ping("p");
    assert.ok(pair.writes.length > before, "the ping was written before ping() returned");
    const beforeClose = pair.writes.length;
    pair.server.close(1000, "done");
    assert.ok(pair.writes.length > beforeClose, "the close was written before close() returned");
  });

  it("raw frames interleaved with ws's pings and close arrive whole and in call order", async () => {
    const pair = await socketPair();
    const big = payloadOf(4 * MiB, true);
    writeRawFrames(pair.connection, buildFrame(Buffer.from("one"), TEXT_OPCODE));
    pair.server.ping("first ping");
    writeRawFrames(pair.connection, buildFrame(big, BINARY_OPCODE));
    writeRawFrames(pair.connection, buildFrame(Buffer.from("three"), TEXT_OPCODE));
    pair.server.ping("second ping");
    writeRawFrames(pair.connection, buildFrame(Buffer.from("four"), TEXT_OPCODE));
    pair.server.close(1000, "done");
    await pair.until(() => pair.events.some((event) => event.type === "close"), 10_000, "the close");
    assert.deepEqual(pair.events, [
      message("one"),
      { type: "ping", data: "first ping" },
      { type: "message", data: big, isBinary: true },
      message("three"),
      { type: "ping", data: "second ping" },
      message("four"),
      { type: "close", code: 1000, reason: "done" },
    ]);
  });
});

describe("ws internals: Node's count of bytes the kernel has not taken", () => {
  it("a TCP socket's handle has a numeric writeQueueSize, 0 while nothing waits", async () => {
    const pair = await socketPair();
    const handle = (pair.connection as unknown as { _handle?: { writeQueueSize?: unknown } })._handle;
    assert.equal(typeof handle?.writeQueueSize, "number");
    assert.equal(kernelQueuedBytes(pair.connection), 0);
  });

  it("counts the bytes of a write the client does not read, and is 0 again once it has read them", async () => {
    const pair = await socketPair();
    pair.clientConnection.pause();
    // More than the kernel's socket buffers on both ends hold.
    const frame = buildFrame(payloadOf(32 * MiB, true), BINARY_OPCODE);
    writeRawFrames(pair.connection, frame);
    for (let i = 0; i < 100 && kernelQueuedBytes(pair.connection) === 0; i++) await sleep(10);
    const held = kernelQueuedBytes(pair.connection);
    assert.ok(held > 0 && held < frame.length, `kernel-bound bytes: ${held}`);
    assert.ok(held <= pair.connection.writableLength, "part of what writableLength counts");
    pair.clientConnection.resume();
    await pair.until(() => pair.events.length === 1, 10_000, "the message");
    assert.equal(kernelQueuedBytes(pair.connection), 0);
  });

  it("is 0 for a stream without a handle and for a destroyed socket (the stall rule's fallback)", async () => {
    assert.equal(kernelQueuedBytes(new PassThrough()), 0);
    const pair = await socketPair();
    pair.connection.destroy();
    assert.equal(kernelQueuedBytes(pair.connection), 0);
  });
});
