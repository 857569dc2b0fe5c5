import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after } from "node:test";
import WebSocket, { WebSocketServer } from "ws";
import { Wakeup } from "./wakeup.js";

/** What the client end of a pair saw, in order of arrival. */
export type ClientEvent =
  | { type: "message"; data: Buffer; isBinary: boolean }
  | { type: "ping"; data: string }
  | { type: "close"; code: number; reason: string }
  | { type: "error"; message: string };

/**
 * A real WebSocket over loopback TCP: the server end as http-server.ts gets it from ws (compression off) with
 * its raw connection, and a ws client at the other end that records what it receives. Closed when the test ends.
 */
export interface SocketPair {
  server: WebSocket;
  connection: Socket;
  client: WebSocket;
  /** The client's own TCP socket (to pause its reading). */
  clientConnection: Socket;
  events: ClientEvent[];
  /** Every buffer written to `connection` since the pair opened (ws's own frames included), in order. */
  writes: Buffer[];
  until(condition: () => boolean, timeoutMs: number, what: string): Promise<void>;
}

export async function socketPair(): Promise<SocketPair> {
  const http = createServer();
  const sockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const accepted = new Promise<{ server: WebSocket; connection: Socket }>((resolve) => {
    http.once("upgrade", (request, connection: Socket, head) =>
      sockets.handleUpgrade(request, connection, head, (server) => resolve({ server, connection })),
    );
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  const changes = new Wakeup();
  const events: ClientEvent[] = [];
  const record = (event: ClientEvent) => {
    events.push(event);
    changes.wake();
  };
  client.on("message", (data: Buffer, isBinary: boolean) => record({ type: "message", data, isBinary }));
  client.on("ping", (data: Buffer) => record({ type: "ping", data: data.toString() }));
  client.on("close", (code: number, reason: Buffer) =>
    record({ type: "close", code, reason: reason.toString() }),
  );
  client.on("error", (error: Error) => record({ type: "error", message: error.message }));
  await new Promise((resolve) => client.once("open", resolve));
  const { server, connection } = await accepted;
  after(async () => {
    client.terminate();
    server.terminate();
    await new Promise((resolve) => http.close(resolve));
  });
  const writes: Buffer[] = [];
  const write = connection.write;
  connection.write = function (this: Socket, chunk: Buffer, ...rest: unknown[]) {
    writes.push(chunk);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as Socket["write"];
  const clientConnection = (client as unknown as { _socket: Socket })._socket;
  return {
    server,
    connection,
    client,
    clientConnection,
    events,
    writes,
    until: (condition, timeoutMs, what) => changes.until(condition, timeoutMs, what),
  };
}
