import type { AddressInfo } from "node:net";
import { type VerifyClientCallbackAsync, type WebSocket, WebSocketServer } from "ws";
import { type BaselineAuth, queryToken, tokenSubject } from "./jwt-check.js";

/**
 * The naive Node server every other system is compared with: `ws`, a Map from channel to its sockets, and the
 * subset of WEST's JSON protocol the benchmark uses (ping, subscribe, publish, register, send), each request
 * answered. A publish is stringified once and handed to ws.send for each subscriber; no other tricks. With
 * `auth.jwtSecret`, an upgrade without a valid token whose subject is the key in its path is refused with 401.
 */
export interface RunningBaseline {
  port: number;
  stop(): Promise<void>;
}

interface Request {
  event?: unknown;
  channel?: unknown;
  id?: unknown;
  data?: unknown;
}

/** The client key: the last segment of the request's path. */
const keyOf = (url: string | undefined) =>
  decodeURIComponent((url ?? "").split("?")[0]?.split("/").pop() ?? "");

/** Lets in an upgrade whose token is valid and names the key in the path. */
function tokenCheck(jwtSecret: string): VerifyClientCallbackAsync {
  const subject = tokenSubject(jwtSecret);
  return ({ req }, done) => {
    void subject(queryToken(req.url)).then((sub) => done(sub !== undefined && sub === keyOf(req.url), 401));
  };
}

export async function startWsForwarder(
  auth: BaselineAuth = {},
  port = 0,
  host = "127.0.0.1",
): Promise<RunningBaseline> {
  const subscribers = new Map<string, Set<WebSocket>>();
  const owners = new Map<string, WebSocket>();
  const server = new WebSocketServer({
    host,
    port,
    perMessageDeflate: false,
    ...(auth.jwtSecret === undefined ? {} : { verifyClient: tokenCheck(auth.jwtSecret) }),
  });

  server.on("connection", (ws, request) => {
    const key = keyOf(request.url);
    const subscribed = new Set<string>();
    const registered = new Set<string>();
    const reply = (event: string, channel: unknown, id: unknown) =>
      ws.send(JSON.stringify({ event, channel, from: "server", id }));

    ws.on("message", (raw) => {
      let request: Request;
      try {
        request = JSON.parse(raw.toString()) as Request;
      } catch {
        reply("bad_request", undefined, undefined);
        return;
      }
      const { event, channel, id, data } = request;
      if (event === "ping") {
        reply("pong", undefined, id);
        return;
      }
      if (typeof channel !== "string") {
        reply(`${String(event)}_failed`, channel, id);
        return;
      }
      switch (event) {
        case "subscribe": {
          const sockets = subscribers.get(channel) ?? new Set<WebSocket>();
          subscribers.set(channel, sockets);
          sockets.add(ws);
          subscribed.add(channel);
          reply("subscription_succeeded", channel, id);
          return;
        }
        case "publish": {
          const delivery = JSON.stringify({ event: "new_message", channel, from: key, data });
          for (const subscriber of subscribers.get(channel) ?? []) subscriber.send(delivery);
          reply("publication_succeeded", channel, id);
          return;
        }
        case "register": {
          const owner = owners.get(channel);
          if (owner !== undefined && owner !== ws) {
            reply("registration_denied", channel, id);
            return;
          }
          owners.set(channel, ws);
          registered.add(channel);
          reply("registration_succeeded", channel, id);
          return;
        }
        case "send": {
          const owner = owners.get(channel);
          if (owner === undefined) {
            reply("registration_not_found", channel, id);
            return;
          }
          owner.send(JSON.stringify({ event: "new_message", channel, from: key, data }));
          reply("sending_succeeded", channel, id);
          return;
        }
        default:
          reply("action_not_allowed", channel, id);
      }
    });

    ws.on("close", () => {
      for (const channel of subscribed) {
        const sockets = subscribers.get(channel);
        sockets?.delete(ws);
        if (sockets?.size === 0) subscribers.delete(channel);
      }
      for (const channel of registered) if (owners.get(channel) === ws) owners.delete(channel);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  return {
    port: (server.address() as AddressInfo).port,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const ws of server.clients) ws.terminate();
        server.close(() => resolve());
      }),
  };
}
