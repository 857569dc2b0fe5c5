import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server, type Socket } from "socket.io";
import type { RunningBaseline } from "./ws-forwarder.js";

type Ack = (ok: boolean) => void;

/**
 * Socket.IO 4 as its documentation shows it: a room per channel, a broadcast per publish, an acknowledgement
 * per request. Point-to-point: the registered socket is remembered per channel and sent to directly.
 * WebSocket transport only, no compression (as every system here).
 */
export async function startSocketIoServer(port = 0, host = "127.0.0.1"): Promise<RunningBaseline> {
  const http = createServer();
  const io = new Server(http, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
  const owners = new Map<string, Socket>();

  io.on("connection", (socket) => {
    const registered = new Set<string>();
    socket.on("subscribe", async (channel: string, ack: Ack) => {
      await socket.join(channel);
      ack(true);
    });
    socket.on("publish", (channel: string, data: string, ack: Ack) => {
      io.to(channel).emit("message", channel, data);
      ack(true);
    });
    socket.on("register", (channel: string, ack: Ack) => {
      const owner = owners.get(channel);
      if (owner !== undefined && owner !== socket) {
        ack(false);
        return;
      }
      owners.set(channel, socket);
      registered.add(channel);
      ack(true);
    });
    socket.on("send", (channel: string, data: string, ack: Ack) => {
      const owner = owners.get(channel);
      owner?.emit("message", channel, data);
      ack(owner !== undefined);
    });
    socket.on("disconnect", () => {
      for (const channel of registered) if (owners.get(channel) === socket) owners.delete(channel);
    });
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen(port, host, () => resolve());
  });
  return {
    port: (http.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}
