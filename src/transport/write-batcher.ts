import type { Duplex } from "node:stream";
import WebSocket from "ws";
import { writeRawFrames } from "./ws-internals.js";

/**
 * The frames a socket gets within one tick, written as one buffer when the tick ends: a fan-out of many
 * publishes then costs one write (one system call) per subscriber, not one per delivery, and no per-frame
 * bookkeeping of Node's streams.
 */
export class Outbox {
  /** Bytes held, not yet handed to the socket. */
  bytes = 0;
  private first: Buffer | undefined;
  private rest: Buffer[] | undefined;

  constructor(
    readonly socket: WebSocket,
    readonly connection: Duplex,
  ) {}

  /** Adds a frame; true when the outbox was empty (so it needs a flush). */
  add(frame: Buffer): boolean {
    this.bytes += frame.length;
    if (this.first === undefined) {
      this.first = frame;
      return true;
    }
    if (this.rest === undefined) this.rest = [this.first, frame];
    else this.rest.push(frame);
    return false;
  }

  /**
   * Writes what is held, past ws (see writeRawFrames: frames never interleave with ws's own); a socket no longer
   * open drops them, as ws would.
   */
  flush(join: (frames: Buffer[], bytes: number) => Buffer = Buffer.concat): void {
    const { first, rest, bytes } = this;
    if (first === undefined) return;
    this.first = undefined;
    this.rest = undefined;
    this.bytes = 0;
    if (this.socket.readyState !== WebSocket.OPEN) return;
    writeRawFrames(this.connection, rest === undefined ? first : join(rest, bytes));
  }
}

/** Flushes every outbox that got frames in this tick, once the tick's work is done. */
export class WriteBatcher {
  private pending: Outbox[] = [];
  private lastFrames: Buffer[] | undefined;
  private lastJoined: Buffer | undefined;

  private readonly flushAll = () => {
    const pending = this.pending;
    this.pending = [];
    for (const outbox of pending) outbox.flush(this.join);
    this.lastFrames = undefined;
    this.lastJoined = undefined;
  };

  /**
   * The frames as one buffer. The subscribers of a fan-out get the same frames in the same order, so the
   * buffer joined for one of them serves the next ones too.
   */
  private readonly join = (frames: Buffer[], bytes: number): Buffer => {
    if (this.lastJoined !== undefined && sameFrames(this.lastFrames as Buffer[], frames))
      return this.lastJoined;
    this.lastFrames = frames;
    this.lastJoined = Buffer.concat(frames, bytes);
    return this.lastJoined;
  };

  write(outbox: Outbox, frame: Buffer): void {
    if (outbox.add(frame) && this.pending.push(outbox) === 1) process.nextTick(this.flushAll);
  }
}

function sameFrames(a: Buffer[], b: Buffer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
