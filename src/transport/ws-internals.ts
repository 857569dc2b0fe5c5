import type { Duplex } from "node:stream";

/**
 * Every reliance of the delivery path on what `ws` and Node do not document, in one place. Each function says
 * what it relies on and what breaks if that changes; test/transport/ws-internals.test.ts checks each reliance
 * against the installed `ws` and Node, and package.json pins `ws` to a minor range (`~8.23.0`) so that an upgrade
 * past it is a deliberate step that runs that test.
 */

/** What the WebSocket server must be run with for writeRawFrames to hold: no compression. */
export const RAW_WRITES_SERVER_OPTIONS = { perMessageDeflate: false } as const;

/**
 * Writes complete frames (frames.ts) to the socket's raw connection, past ws's Sender, which never sees them.
 *
 * Relies on ws writing each frame of its own (ping, pong, close) to the connection whole and at once, when it is
 * asked to: then its frames and ours reach the connection in call order, never one inside another. ws defers a
 * frame (its Sender's queue) only while it compresses or reads a Blob, so the WebSocket server must run with
 * RAW_WRITES_SERVER_OPTIONS (`perMessageDeflate: false`) and nothing may send data through ws on these sockets. If ws starts
 * deferring or splitting its own frames otherwise, a ping or close could land inside a frame of ours or out of
 * order (the contract test's interleaving case fails); the way back is to send through ws (`socket.send`) at the
 * cost of a write per frame.
 */
export function writeRawFrames(connection: Duplex, bytes: Buffer): void {
  connection.write(bytes);
}

/**
 * Bytes of the write in flight that the kernel has not taken yet, or 0 when Node does not say.
 *
 * Relies on Node's undocumented `_handle.writeQueueSize` of a net.Socket: the bytes libuv still holds for writes
 * the kernel could not take at once (`writableLength` counts a write until it completes as a whole, so it cannot
 * tell a write that is slowly going out from one that is stuck). If Node renames or drops it, this returns 0, and
 * the stall rule (slow-consumers.ts) sees a queue move only when a whole write completes: coarser, so a client that
 * reads one large write slowly but steadily could be cut as stalled. The contract test fails first.
 */
export function kernelQueuedBytes(connection: Duplex): number {
  const handle = (connection as { _handle?: { writeQueueSize?: unknown } | null })._handle;
  const size = handle?.writeQueueSize;
  return typeof size === "number" ? size : 0;
}
