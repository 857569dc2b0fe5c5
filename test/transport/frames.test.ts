/** Server frames built by frames.ts, read by a real ws client over a real loopback TCP socket. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BINARY_OPCODE, buildFrame, TEXT_OPCODE } from "../../src/transport/frames.js";
import { writeRawFrames } from "../../src/transport/ws-internals.js";
import { socketPair } from "../helpers/ws-pair.js";

const MiB = 1024 * 1024;

/** `size` bytes: ASCII letters for a text message, every byte value in turn for a binary one. */
function payloadOf(size: number, binary: boolean): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = binary ? i % 256 : 97 + (i % 26);
  return bytes;
}

describe("server frames", () => {
  // Payload lengths around each of RFC 6455's three length encodings (7 bits, 16 bits, 64 bits).
  const sizes: [number, number][] = [
    [0, 2],
    [125, 2],
    [126, 4],
    [65535, 4],
    [65536, 10],
    [8 * MiB + 3, 10],
  ];
  for (const binary of [false, true]) {
    const kind = binary ? "binary" : "text";
    it(`a ${kind} frame of 0, 125, 126, 65535, 65536 and 8 MiB reaches a ws client as exactly that ${kind} message`, async () => {
      const pair = await socketPair();
      const payloads = sizes.map(([size]) => payloadOf(size, binary));
      for (const [index, [size, headerBytes]] of sizes.entries()) {
        const payload = payloads[index] as Buffer;
        const frame = binary
          ? buildFrame(payload, BINARY_OPCODE)
          : buildFrame(payload.toString(), TEXT_OPCODE);
        assert.equal(frame.length, headerBytes + size, `one buffer, header and payload, for ${size} bytes`);
        writeRawFrames(pair.connection, frame);
      }
      await pair.until(() => pair.events.length >= sizes.length, 10_000, "every message");
      assert.deepEqual(
        pair.events,
        payloads.map((data) => ({ type: "message", data, isBinary: binary })),
      );
    });
  }

  it("a text frame's length counts UTF-8 bytes, not characters, at each length encoding", async () => {
    const pair = await socketPair();
    // 2, 3 and 4-byte characters; 42 x 3 bytes = 126 crosses into the 16-bit length, 16,384 x 4 into the 64-bit one.
    const texts = ["é€😀", "€".repeat(42), "😀".repeat(16_384)];
    for (const text of texts) {
      const bytes = Buffer.byteLength(text);
      const frame = buildFrame(text, TEXT_OPCODE);
      assert.equal(frame.length, (bytes < 126 ? 2 : bytes < 65536 ? 4 : 10) + bytes);
      writeRawFrames(pair.connection, frame);
    }
    await pair.until(() => pair.events.length >= texts.length, 10_000, "every message");
    assert.deepEqual(
      pair.events,
      texts.map((text) => ({ type: "message", data: Buffer.from(text), isBinary: false })),
    );
  });

  it("a binary frame of a view into a larger buffer carries just the view", async () => {
    const pair = await socketPair();
    const whole = payloadOf(300, true);
    const view = new Uint8Array(whole.buffer, whole.byteOffset + 10, 200);
    writeRawFrames(pair.connection, buildFrame(view, BINARY_OPCODE));
    await pair.until(() => pair.events.length >= 1, 10_000, "the message");
    assert.deepEqual(pair.events, [{ type: "message", data: whole.subarray(10, 210), isBinary: true }]);
  });
});
