/**
 * Several node messages carried by one Redis message: the node's messages for one Redis channel within one
 * event-loop turn. A batch starts with a byte no single node message starts with (theirs is 1, 2 or 3), then a
 * 4-byte count, then each message as a 4-byte length and its bytes. A turn with one message sends it alone.
 */
const BATCH = 0xb0;

export function encodeBatch(messages: readonly Buffer[]): Buffer {
  let size = 5;
  for (const message of messages) size += 4 + message.length;
  const batch = Buffer.allocUnsafe(size);
  batch[0] = BATCH;
  let offset = batch.writeUInt32BE(messages.length, 1);
  for (const message of messages) {
    offset = batch.writeUInt32BE(message.length, offset);
    offset += message.copy(batch, offset);
  }
  return batch;
}

/** The messages in `bytes`: itself when it is a single message; undefined for a batch that is cut short. */
export function splitBatch(bytes: Buffer): Buffer[] | undefined {
  if (bytes[0] !== BATCH) return [bytes];
  if (bytes.length < 5) return undefined;
  const count = bytes.readUInt32BE(1);
  const messages: Buffer[] = [];
  let offset = 5;
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) return undefined;
    const end = offset + 4 + bytes.readUInt32BE(offset);
    if (end > bytes.length) return undefined;
    messages.push(bytes.subarray(offset + 4, end));
    offset = end;
  }
  return offset === bytes.length ? messages : undefined;
}
