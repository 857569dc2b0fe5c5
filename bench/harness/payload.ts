/**
 * The 64-byte payload of every benchmark message: a marker, the send time and padding. The send time is read
 * from the system-wide monotonic clock (the one behind process.hrtime), so a receiver in another process on the
 * same machine can subtract it from its own clock.
 */
export const PAYLOAD_BYTES = 64;

const MARKER = Buffer.from("~T");
const DIGITS = 15;
const PADDING = "-".repeat(PAYLOAD_BYTES - MARKER.length - DIGITS);

/** Microseconds on the system-wide monotonic clock (CLOCK_MONOTONIC), the same in every process. */
export function nowMicros(): number {
  const [seconds, nanos] = process.hrtime();
  return seconds * 1e6 + nanos / 1e3;
}

/** A payload stamped with the current time. No character in it needs escaping in JSON or any text protocol. */
export function stampedPayload(): string {
  return `~T${Math.floor(nowMicros()).toString().padStart(DIGITS, "0")}${PADDING}`;
}

/** Where a payload starts in a received frame, or -1 when the frame carries none (a reply, not a delivery). */
export function findPayload(frame: Buffer, from = 0): number {
  return frame.indexOf(MARKER, from);
}

/** The send time written into the payload that starts at `at`. */
export function sentAt(frame: Buffer, at: number): number {
  let micros = 0;
  const end = at + MARKER.length + DIGITS;
  for (let i = at + MARKER.length; i < end; i++) micros = micros * 10 + ((frame[i] as number) - 48);
  return micros;
}
