import type WebSocket from "ws";
import type { WebSocketServer } from "ws";

/** Pings every socket each interval; a socket that did not answer the previous ping is dropped. */
export function startKeepalive(server: WebSocketServer, intervalMs: number): () => void {
  const answered = new WeakSet<WebSocket>();
  const markAlive = (socket: WebSocket) => {
    answered.add(socket);
    socket.on("pong", () => answered.add(socket));
  };
  server.on("connection", markAlive);
  const timer = setInterval(() => {
    for (const socket of server.clients) {
      if (!answered.has(socket)) {
        socket.terminate();
        continue;
      }
      answered.delete(socket);
      socket.ping();
    }
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    server.off("connection", markAlive);
  };
}
