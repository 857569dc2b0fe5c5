import type { Duplex } from "node:stream";

/**
 * Holds back writes to a socket until the current tick ends: the first frame for a socket in a tick corks it,
 * and one uncork per socket at the end of the tick sends everything queued for it in a single writev.
 * A fan-out of many publishes then costs one system call per subscriber, not one per delivery.
 */
export class WriteBatcher {
  private corked: Duplex[] = [];
  private readonly flush = () => {
    const corked = this.corked;
    this.corked = [];
    for (const socket of corked) socket.uncork();
  };

  /** Call before writing to `socket`. */
  hold(socket: Duplex): void {
    if (socket.writableCorked > 0) return;
    socket.cork();
    if (this.corked.push(socket) === 1) process.nextTick(this.flush);
  }
}
