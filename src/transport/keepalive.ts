import type WebSocket from "ws";
import type { WebSocketServer } from "ws";

/** Pings every socket each interval; a socket that did not answer the previous ping is dropped. */
export function startKeepalive(server: WebSocketServer, intervalMs: number): () => void {
  const answered = new WeakSet<WebSocket>();
  // One listener function for every socket (ws calls it with the socket as `this`): no closure per connection.
  function onPong(this: WebSocket) {
    answered.add(this);
  }
  const markAlive = (socket: WebSocket) => {
    answered.add(socket);
    socket.on("pong", onPong);
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
