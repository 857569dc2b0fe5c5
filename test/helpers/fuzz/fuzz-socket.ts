import WebSocket from "ws";
import type { ProtocolName } from "../../../src/protocols/codec.js";
import { Wakeup } from "../wakeup.js";
import { type Incoming, readIncoming } from "./read-frame.js";

/** A raw WebSocket client for fuzzing: sends bytes as text or binary frames, reads what comes back. */
export class FuzzSocket {
  closeCode: number | undefined;
  readonly changes = new Wakeup();

  private constructor(
    readonly ws: WebSocket,
    readonly protocol: ProtocolName,
    onIncoming: (incoming: Incoming) => void,
  ) {
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      onIncoming(readIncoming(protocol, data, isBinary));
      this.changes.wake();
    });
    ws.on("close", (code: number) => {
      this.closeCode = code;
      this.changes.wake();
    });
    // A close while we still write (a frame over the limit) surfaces as a write error: the close code tells.
    ws.on("error", () => undefined);
  }

  static open(
    url: string,
    protocol: ProtocolName,
    key: string,
    onIncoming: (incoming: Incoming) => void,
  ): Promise<FuzzSocket> {
    const ws = new WebSocket(`${url}/websocket/${protocol}/${encodeURIComponent(key)}`, {
      perMessageDeflate: false,
    });
    const socket = new FuzzSocket(ws, protocol, onIncoming);
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(socket));
      ws.once("unexpected-response", (_request, response) =>
        reject(new Error(`upgrade refused: ${response.statusCode}`)),
      );
      ws.once("error", reject);
    });
  }

  get closed(): boolean {
    return this.closeCode !== undefined;
  }

  /** Sends `payload` as it is: a text frame need not be valid UTF-8 (ws does not check what it sends). */
  send(payload: Buffer | string, binary: boolean): void {
    this.ws.send(payload, { binary });
  }

  /** Waits until `condition` holds or the socket has closed; throws after `timeoutMs` without either. */
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    return this.changes.until(() => this.closed || condition(), timeoutMs, what);
  }

  /** Closes from this side (1000) and waits for the close to complete. */
  async close(timeoutMs: number): Promise<void> {
    if (this.closed) return;
    this.ws.close(1000);
    await this.until(() => false, timeoutMs, "the socket to close").catch(() => this.ws.terminate());
  }
}
