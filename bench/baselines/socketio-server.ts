import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient, createCluster } from "@redis/client";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { Server, type Socket } from "socket.io";
import { type BaselineAuth, tokenSubject } from "./jwt-check.js";
import type { RunningBaseline } from "./ws-forwarder.js";

type Ack = (ok: boolean) => void;

/**
 * How the Socket.IO server reaches its peers: alone (no adapter), through the classic Redis adapter (PUBLISH and
 * PSUBSCRIBE on one redis-server) or through the sharded adapter (SPUBLISH and SSUBSCRIBE on a Redis Cluster).
 */
export type SocketIoAdapter =
  | { kind: "none" }
  | { kind: "redis"; url: string }
  | { kind: "sharded"; seeds: string[] };

/** The server's peers (default: none) and, with `jwtSecret`, the token every client must bring. */
export interface SocketIoOptions extends BaselineAuth {
  adapter?: SocketIoAdapter;
}

/** The room an owner joins for each channel it registers, when the server has peers. */
const ownerRoom = (channel: string) => `owner:${channel}`;

/**
 * Socket.IO 4 as its documentation shows it: a room per channel, a broadcast per publish, an acknowledgement
 * per request. Point-to-point: alone, the registered socket is remembered per channel and sent to directly;
 * with an adapter, the owner joins a room of its own per channel and a send is a broadcast to that room,
 * acknowledged at once (emulated: no check that the channel has one owner, or any).
 * WebSocket transport only, no compression (as every system here). With `jwtSecret`, an `io.use` middleware
 * refuses a client (CONNECT_ERROR) unless the `token` query parameter of its handshake is valid.
 */
export async function startSocketIoServer(
  { adapter = { kind: "none" }, jwtSecret }: SocketIoOptions = {},
  port = 0,
  host = "127.0.0.1",
): Promise<RunningBaseline> {
  const http = createServer();
  const io = new Server(http, { transports: ["websocket"], perMessageDeflate: false, serveClient: false });
  const closeRedis = await attachAdapter(io, adapter);
  if (jwtSecret !== undefined) {
    const subject = tokenSubject(jwtSecret);
    io.use((socket, next) => {
      void subject(socket.handshake.query.token).then((sub) =>
        next(sub === undefined ? new Error("unauthorized") : undefined),
      );
    });
  }
  const owners = new Map<string, Socket>();
  const alone = adapter.kind === "none";

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
    socket.on("register", async (channel: string, ack: Ack) => {
      if (!alone) {
        await socket.join(ownerRoom(channel));
        ack(true);
        return;
      }
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
      if (!alone) {
        io.to(ownerRoom(channel)).emit("message", channel, data);
        ack(true);
        return;
      }
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
    stop: async () => {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await closeRedis();
    },
  };
}

/** Connects the adapter's two Redis clients (node-redis) and installs it; returns how to close them. */
async function attachAdapter(io: Server, adapter: SocketIoAdapter): Promise<() => Promise<void>> {
  if (adapter.kind === "none") return async () => undefined;
  if (adapter.kind === "redis") {
    const pub = createClient({ url: adapter.url });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
    return async () => void (await Promise.allSettled([pub.close(), sub.close()]));
  }
  const pub = createCluster({ rootNodes: adapter.seeds.map((seed) => ({ url: `redis://${seed}` })) });
  const sub = pub.duplicate();
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createShardedAdapter(pub, sub));
  return async () => void (await Promise.allSettled([pub.close(), sub.close()]));
}
