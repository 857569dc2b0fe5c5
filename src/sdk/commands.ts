import type { Wire } from "./codecs/wire.js";
import { WestError } from "./errors.js";

interface Pending {
  message: Wire;
  written: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve(reply: Wire): void;
  reject(error: WestError): void;
}

/** Replies that mean the command did what it asked (the already-existing ones: it was already so). */
function succeeded(event: string): boolean {
  return (
    event.endsWith("_succeeded") ||
    event === "pong" ||
    event === "response" ||
    event === "registration_already_exist" ||
    event === "subscription_already_exist"
  );
}

/**
 * The commands of a client between their call and their reply. Each gets an id and a deadline. While the
 * connection is down a command waits, unwritten, for the next one; once written it is never written again: if
 * the connection drops before its reply it is rejected with `disconnected` (at most once).
 */
export class Commands {
  private sequence = 0;
  private readonly pending = new Map<string, Pending>();

  /** `write` sends on the open connection, or answers false when there is none. */
  constructor(private readonly write: (message: Wire) => boolean) {}

  get size(): number {
    return this.pending.size;
  }

  run(message: Wire, timeoutMs: number): Promise<Wire> {
    return new Promise((resolve, reject) => {
      const id = String(++this.sequence);
      const entry: Pending = {
        message: { ...message, id },
        written: false,
        resolve,
        reject,
        timer: setTimeout(() => this.settle(id, new WestError("timeout")), timeoutMs),
      };
      this.pending.set(id, entry);
      entry.written = this.write(entry.message);
    });
  }

  /** The connection is open: the commands that waited for it go out, in the order they were made. */
  flush(): void {
    for (const entry of this.pending.values()) {
      if (entry.written) continue;
      entry.written = this.write(entry.message);
      if (!entry.written) return;
    }
  }

  /** A frame with an id: the reply to one of these commands, if it is still waiting. */
  reply(message: Wire): boolean {
    const id = message.id;
    if (id === undefined || !this.pending.has(id)) return false;
    this.settle(
      id,
      succeeded(message.event) ? message : new WestError(message.event, message.reason, message),
    );
    return true;
  }

  /** The connection dropped: what was written has no reply coming. */
  dropped(): void {
    for (const [id, entry] of this.pending) if (entry.written) this.settle(id, new WestError("disconnected"));
  }

  /** The client closed: nothing will be answered. */
  closed(): void {
    for (const id of [...this.pending.keys()]) this.settle(id, new WestError("closed"));
  }

  private settle(id: string, outcome: Wire | WestError): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    if (outcome instanceof WestError) entry.reject(outcome);
    else entry.resolve(outcome);
  }
}
