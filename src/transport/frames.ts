/** RFC 6455 opcodes of a data frame. */
export const TEXT_OPCODE = 1;
export const BINARY_OPCODE = 2;
export type DataOpcode = typeof TEXT_OPCODE | typeof BINARY_OPCODE;

/**
 * One complete server frame (final, unmasked, uncompressed: RFC 6455 section 5.2) carrying `payload`, in one
 * allocation: a string is encoded straight into the frame, after a 2, 4 or 10-byte header.
 */
export function buildFrame(payload: string | Uint8Array, opcode: DataOpcode): Buffer {
  const length = typeof payload === "string" ? Buffer.byteLength(payload, "utf8") : payload.byteLength;
  const header = length < 126 ? 2 : length < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = 0x80 | opcode;
  if (length < 126) frame[1] = length;
  else if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 127;
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    frame.writeUInt32BE(length >>> 0, 6);
  }
  if (typeof payload === "string") frame.write(payload, header, "utf8");
  else frame.set(payload, header);
  return frame;
}
