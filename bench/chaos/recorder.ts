import { createWriteStream, type WriteStream } from "node:fs";
import type { HistoryEvent, Unstamped } from "./history.js";

/**
 * Keeps the history in memory for the checker and streams it as NDJSON to a file (so that a run that dies
 * still leaves what it saw). Stamps each event with the run's clock (ms since the recorder was made) and the
 * event-loop turn it was recorded in.
 */
export class Recorder {
  readonly events: HistoryEvent[] = [];
  private readonly origin = performance.now();
  private readonly file: WriteStream | undefined;
  private turn = 0;
  /** A setImmediate is due to end the current turn. */
  private turnEnding = false;

  /** `path`: where the NDJSON goes; none keeps the history in memory only. */
  constructor(path?: string) {
    this.file = path === undefined ? undefined : createWriteStream(path);
  }

  /** The run's clock now. */
  now(): number {
    return performance.now() - this.origin;
  }

  record(event: Unstamped): HistoryEvent {
    if (!this.turnEnding) {
      // The first event of this turn: the check phase of this loop iteration (after its socket reads) ends
      // the turn. One setImmediate per turn in which something happened; an idle driver schedules nothing.
      this.turnEnding = true;
      setImmediate(() => {
        this.turn++;
        this.turnEnding = false;
      });
    }
    const stamped = {
      at: Math.round(this.now() * 1000) / 1000,
      turn: this.turn,
      ...event,
    } as HistoryEvent;
    this.events.push(stamped);
    this.file?.write(`${JSON.stringify(stamped)}\n`);
    return stamped;
  }

  /** Flushes and closes the file. */
  close(): Promise<void> {
    const file = this.file;
    if (file === undefined || file.closed) return Promise.resolve();
    return new Promise((resolve, reject) =>
      file.end((error?: Error | null) => (error ? reject(error) : resolve())),
    );
  }
}
