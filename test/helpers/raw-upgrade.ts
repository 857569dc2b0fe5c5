import { connect, type Socket } from "node:net";
import { after } from "node:test";

/** A well-formed Sec-WebSocket-Key (16 bytes, base64). */
export const WEBSOCKET_KEY = Buffer.alloc(16, 7).toString("base64");

/** An upgrade request on a plain TCP socket, as a client that never closes its own side sends it. */
export interface RawUpgrade {
  socket: Socket;
  /** Everything the server wrote, once it ended its side (a refusal: status line, headers and body). */
  response: Promise<string>;
  /**
   * Resolves once the server no longer holds the connection: the client writes a byte every 50 ms and a write
   * fails once the server's socket is gone. Rejects after `timeoutMs`.
   */
  dropped(timeoutMs: number): Promise<void>;
}

/**
 * Sends `GET path` asking for a WebSocket (`headers` added, or replacing the usual ones when given with the same
 * name) and keeps the connection open whatever the server answers: the socket is half-open-capable, so the
 * server's FIN does not end the client's side.
 */
export function rawUpgrade(port: number, path: string, headers: Record<string, string> = {}): RawUpgrade {
  const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  after(() => socket.destroy());
  const fields: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": WEBSOCKET_KEY,
    ...headers,
  };
  const head = Object.entries(fields)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join("");
  socket.write(`GET ${path} HTTP/1.1\r\n${head}\r\n`);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  socket.on("error", () => undefined);
  const response = new Promise<string>((resolve, reject) => {
    socket.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.once("close", () => reject(new Error(`${path}: closed before the server ended its side`)));
  });
  response.catch(() => undefined);
  return {
    socket,
    response,
    async dropped(timeoutMs) {
      const probe = setInterval(() => {
        if (!socket.destroyed) socket.write("x");
      }, 50);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${path}: the server still holds the connection after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([closed, timeout]);
      } finally {
        clearInterval(probe);
        clearTimeout(timer);
      }
    },
  };
}
