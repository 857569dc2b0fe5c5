import type { Notice } from "../../core/message.js";

/**
 * A join or leave as the presence scripts publish it: `0xB2 j|l NODE-ID/SESSION-ID \n KEY \n CHANNEL`
 * (presence-scripts.ts). Keys and channel names hold no control characters.
 */
const NOTICE = 0xb2;
const NEWLINE = 0x0a;

export function isNotice(bytes: Buffer): boolean {
  return bytes[0] === NOTICE;
}

/** The notice and the connection it is about; undefined when `bytes` is not one. */
export function parseNotice(
  bytes: Buffer,
): { notice: Notice; about: { nodeId: string; sessionId: number } } | undefined {
  if (bytes[0] !== NOTICE || bytes.length < 3) return undefined;
  const kind = bytes[1] === 0x6a ? "join" : bytes[1] === 0x6c ? "leave" : undefined;
  const end = bytes.indexOf(NEWLINE, 2);
  const keyEnd = end === -1 ? -1 : bytes.indexOf(NEWLINE, end + 1);
  if (kind === undefined || keyEnd === -1) return undefined;
  const field = bytes.toString("utf8", 2, end);
  const slash = field.lastIndexOf("/");
  const sessionId = Number(field.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(sessionId)) return undefined;
  return {
    notice: {
      event: kind,
      from: bytes.toString("utf8", end + 1, keyEnd),
      channel: bytes.toString("utf8", keyEnd + 1),
    },
    about: { nodeId: field.slice(0, slash), sessionId },
  };
}
