import { isUtf8 } from "node:buffer";
import { COMMANDS } from "../../../src/core/message.js";
import type { ProtocolName } from "../../../src/protocols/codec.js";
import { pbFrame, TEXT_WORDS, textQuote } from "../ws-client.js";
import type { Prng } from "./prng.js";

/** One frame a fuzzing connection sends, and the close it must cause (undefined: it must get one reply). */
export interface FuzzFrame {
  payload: Buffer;
  binary: boolean;
  expectedClose: number | undefined;
}

/** Channels fuzzers share (so that their commands meet each other), then odd and invalid names. */
const COMMON_CHANNELS = ["f0", "f1", "f2", "f3", "shared"];
const ODD_CHANNELS = [
  "",
  "a b",
  'q"uote',
  "west",
  "ünïcødé",
  "👍",
  "x".repeat(256),
  "é".repeat(129),
  "x".repeat(257),
  "nul\u0000",
  "tab\there",
  "line\nbreak",
  "\ud800lone",
  "toString",
  "__proto__",
  "constructor",
  "\u00a0",
  "\ufeffbom",
];
const ODD_EVENTS = ["", "PUBLISH", "new_message", "bye", "bad_request", "pong", "constructor", "sub", "pub"];
const TEXT_VERBS = [...TEXT_WORDS.values(), "ping"];
const ODD_VERBS = ["", "PUB", "publish", "reg2", "bye", "BYE", "ping ping", "west"];
/** Raw JSON for a field: odd numbers, wrong types, values that overflow a double. */
const RAW_JSON = [
  "1e400",
  "-1e400",
  "-0",
  "123456789012345678901234567890",
  "9007199254740993",
  "1.5",
  "{}",
  "[]",
  "true",
  "null",
  '"\\ud800"',
  '{"a":1e999}',
  '[1,[2,[3,{"b":null}]]]',
  '"base64"',
  '"!!"',
];
const HUGE_IDS = ["9".repeat(400), "i".repeat(5000), String(Number.MAX_SAFE_INTEGER), "-1"];
const SPECIAL_BYTES = [0x00, 0xff, 0x22, 0x5c, 0x20, 0x7b, 0x7d, 0x3a, 0x0a, 0x08, 0x12, 0x80, 0xc0];

function channel(rng: Prng): string {
  return rng.chance(0.75) ? rng.pick(COMMON_CHANNELS) : rng.pick(ODD_CHANNELS);
}

function event(rng: Prng): string {
  return rng.chance(0.9) ? rng.pick(COMMANDS) : rng.pick(ODD_EVENTS);
}

function text(rng: Prng): string {
  switch (rng.int(6)) {
    case 0:
      return "";
    case 1:
      return 'say "hi" \\ there';
    case 2:
      return rng.bytes(rng.int(12)).toString("utf8");
    case 3:
      return "🎉".repeat(rng.int(5));
    default:
      return `m${rng.int(1000)}`;
  }
}

/** A JSON command with fields of any type, as raw JSON text (so that it can say 1e400 or -0). */
function jsonCommand(rng: Prng): string {
  const fields: string[] = [];
  const field = (key: string, raw: string) => fields.push(`${JSON.stringify(key)}:${raw}`);
  const odd = () => rng.pick(RAW_JSON);
  if (rng.chance(0.97)) field("event", rng.chance(0.95) ? JSON.stringify(event(rng)) : odd());
  if (rng.chance(0.85)) field("channel", rng.chance(0.93) ? JSON.stringify(channel(rng)) : odd());
  if (rng.chance(0.6)) {
    const id = rng.int(10);
    field(
      "id",
      id < 4
        ? String(rng.int(1e6))
        : id < 8
          ? JSON.stringify(`r${rng.int(1e6)}`)
          : id < 9
            ? odd()
            : JSON.stringify(rng.pick(HUGE_IDS)),
    );
  }
  if (rng.chance(0.7)) {
    const kind = rng.int(10);
    if (kind < 4) field("data", JSON.stringify(text(rng)));
    else if (kind < 6) field("data", JSON.stringify({ n: rng.int(100), list: [true, null, "x"] }));
    else if (kind < 8) {
      field("data", JSON.stringify(rng.bytes(rng.int(20)).toString("base64")));
      field("encoding", '"base64"');
    } else field("data", odd());
  }
  if (rng.chance(0.05)) field(rng.pick(["from", "encoding", "__proto__", "extra"]), odd());
  return `{${fields.join(",")}}`;
}

function pbCommand(rng: Prng): Buffer {
  const fields: Parameters<typeof pbFrame>[0] = { event: event(rng) };
  if (rng.chance(0.85)) fields.channel = channel(rng);
  if (rng.chance(0.5)) fields.id = rng.chance(0.9) ? `r${rng.int(1e6)}` : rng.pick(HUGE_IDS);
  if (rng.chance(0.7)) fields.data = rng.chance(0.5) ? text(rng) : rng.bytes(rng.int(24));
  if (rng.chance(0.05)) fields.from = "someone-else";
  return Buffer.from(pbFrame(fields));
}

function textCommand(rng: Prng): string {
  const words = [rng.chance(0.93) ? rng.pick(TEXT_VERBS) : rng.pick(ODD_VERBS)];
  if (words[0] === "ping" && rng.chance(0.8)) return "ping";
  const name = channel(rng);
  words.push(/[\s"]/.test(name) || name === "" || rng.chance(0.05) ? textQuote(name) : name);
  if (words[0] === "send" || words[0] === "pub" || rng.chance(0.05)) {
    const data = text(rng);
    words.push(/^[^\s"]+$/.test(data) && rng.chance(0.5) ? data : textQuote(data));
  }
  if (rng.chance(0.03)) words.push(rng.pick(['"unbalanced', '"bad\\escape"', "extra", '""']));
  return words.join(rng.chance(0.95) ? " " : "  ");
}

/** A command of `protocol` as a client writes it, fields sometimes odd: most get a normal reply. */
export function commandFrame(rng: Prng, protocol: ProtocolName): Buffer {
  if (protocol === "json") return Buffer.from(jsonCommand(rng), "utf8");
  if (protocol === "pb") return pbCommand(rng);
  return Buffer.from(textCommand(rng), "utf8");
}

/** A publish of up to 64 KiB: large, yet under the limit. */
function bigPublish(rng: Prng, protocol: ProtocolName): Buffer {
  const data = "d".repeat(rng.int(65536));
  const channel = rng.pick(COMMON_CHANNELS);
  if (protocol === "pb") return Buffer.from(pbFrame({ event: "publish", channel, data }));
  if (protocol === "json") return Buffer.from(JSON.stringify({ event: "publish", channel, data }));
  return Buffer.from(`pub ${channel} ${textQuote(data)}`);
}

/** One to three of: bit flips, truncation, duplication, splicing, inserted or overwritten bytes. */
function mutate(rng: Prng, protocol: ProtocolName, frame: Buffer): Buffer {
  let bytes = frame;
  for (let n = 1 + rng.int(3); n > 0; n--) {
    const at = rng.int(bytes.length + 1);
    switch (rng.int(7)) {
      case 0: {
        bytes = Buffer.from(bytes);
        for (let flips = 1 + rng.int(4); flips > 0 && bytes.length > 0; flips--) {
          const i = rng.int(bytes.length);
          bytes[i] = (bytes[i] as number) ^ (1 << rng.int(8));
        }
        break;
      }
      case 1:
        bytes = bytes.subarray(0, at);
        break;
      case 2:
        bytes = Buffer.concat([bytes, rng.chance(0.5) ? bytes : bytes.subarray(at)]);
        break;
      case 3: {
        const other = commandFrame(rng, protocol);
        bytes = Buffer.concat([bytes.subarray(0, at), other.subarray(rng.int(other.length + 1))]);
        break;
      }
      case 4:
        bytes = Buffer.concat([bytes.subarray(0, at), rng.bytes(1 + rng.int(8)), bytes.subarray(at)]);
        break;
      case 5: {
        bytes = Buffer.from(bytes);
        if (bytes.length > 0) bytes[rng.int(bytes.length)] = rng.pick(SPECIAL_BYTES);
        break;
      }
      default:
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(rng.pick(HUGE_IDS)), bytes.subarray(at)]);
    }
  }
  return bytes;
}

/**
 * The close a frame must cause on `protocol`'s endpoint (docs/protocol.md, "Close codes"): 1009 over the size
 * limit, 1007 for invalid UTF-8 in a text frame, 1000 for `bye`; undefined for a frame that gets one reply.
 */
export function expectedClose(
  protocol: ProtocolName,
  payload: Buffer,
  binary: boolean,
  maxFrameBytes: number,
): number | undefined {
  if (payload.length > maxFrameBytes) return 1009;
  if (binary) return undefined;
  if (!isUtf8(payload)) return 1007;
  const line = payload.toString("utf8");
  if (protocol === "json") return line === "bye" ? 1000 : undefined;
  if (protocol === "text") return line.trim() === "bye" || line.trim() === '"bye"' ? 1000 : undefined;
  return undefined;
}

/** A text frame's bytes as a client's string would send them (invalid UTF-8 becomes U+FFFD). */
function utf8Unless(binary: boolean, payload: Buffer): Buffer {
  return binary || isUtf8(payload) ? payload : Buffer.from(payload.toString("utf8"));
}

/**
 * A random frame for `protocol`'s endpoint: valid and odd commands, mutated commands, random bytes, the
 * wrong frame type, and now and then `bye`, invalid UTF-8 in a text frame or a frame over the size limit.
 */
export function fuzzFrame(rng: Prng, protocol: ProtocolName, maxFrameBytes: number): FuzzFrame {
  const nativeBinary = protocol === "pb";
  const roll = rng.next();
  let payload: Buffer;
  let binary = nativeBinary;
  if (roll < 0.3) payload = commandFrame(rng, protocol);
  else if (roll < 0.75) payload = utf8Unless(binary, mutate(rng, protocol, commandFrame(rng, protocol)));
  else if (roll < 0.85) {
    binary = rng.chance(0.5);
    payload = utf8Unless(binary, rng.bytes(rng.int(64)));
  } else if (roll < 0.95) {
    binary = !nativeBinary;
    payload = utf8Unless(binary, commandFrame(rng, rng.pick(["text", "json", "pb"] as const)));
  } else if (roll < 0.985) {
    payload = Buffer.from(rng.pick(["bye", " bye ", '"bye"', "ping", "", "{}", "BYE", "bye bye"]));
    binary = rng.chance(0.2) ? !nativeBinary : nativeBinary;
  } else if (roll < 0.988) {
    payload = Buffer.concat([commandFrame(rng, "text"), Buffer.from([0xff, 0xfe, 0xc0])]);
    binary = false;
  } else if (roll < 0.9995) {
    payload = bigPublish(rng, protocol);
  } else {
    payload = Buffer.alloc(maxFrameBytes + 1 + rng.int(64), 0x61);
    binary = rng.chance(0.5);
  }
  return { payload, binary, expectedClose: expectedClose(protocol, payload, binary, maxFrameBytes) };
}
