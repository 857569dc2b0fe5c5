import type { Position } from "../../core/seam.js";

/**
 * Publications of a channel with history as the publish script sends them on the channel's pub/sub channel: a
 * byte no node message or batch starts with, the offset of the first in decimal, a newline, the epoch, a newline,
 * then the node message, or a batch of them (batches.ts) with consecutive offsets (see history-scripts.ts).
 */
const STAMPED = 0xb1;
const NEWLINE = 0x0a;

export function isStamped(bytes: Buffer): boolean {
  return bytes[0] === STAMPED;
}

/** The position and the node message of a stamped publication; undefined when it is not one. */
export function parseStamped(bytes: Buffer): { position: Position; message: Buffer } | undefined {
  if (bytes[0] !== STAMPED) return undefined;
  const offsetEnd = bytes.indexOf(NEWLINE, 1);
  if (offsetEnd === -1) return undefined;
  const epochEnd = bytes.indexOf(NEWLINE, offsetEnd + 1);
  if (epochEnd === -1) return undefined;
  const offset = Number(bytes.toString("latin1", 1, offsetEnd));
  if (!Number.isSafeInteger(offset) || offset < 1) return undefined;
  const epoch = bytes.toString("latin1", offsetEnd + 1, epochEnd);
  return { position: { offset, epoch }, message: bytes.subarray(epochEnd + 1) };
}
