import type { EventEmitter } from "node:events";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { answerNotFound } from "./http-routes.js";
import { refuseUpgrade } from "./upgrade.js";
import type { WestHttp } from "./west-http.js";

/** Any listener of an EventEmitter. */
type Listener = Parameters<EventEmitter["on"]>[1];

/** An application's server with the node on it. */
export interface Attached {
  /** The server's URL once it listens (http or https, its address and port); undefined before. */
  url(): string | undefined;
  port(): number | undefined;
  /** Gives the server back its own listeners, as they were; the server keeps running. */
  detach(): void;
}

/**
 * Puts the node on an application's `server`: the node's requests and upgrades go to `west`, every other one to
 * the listeners the server had (its application, other WebSocket servers), in their order. With no other upgrade
 * listener, an upgrade elsewhere is refused with 404 rather than left hanging. Listeners added later see every
 * request, as Node gives them.
 */
export function attachToServer(server: HttpServer, west: WestHttp): Attached {
  const requestListeners = server.rawListeners("request") as Listener[];
  const upgradeListeners = server.rawListeners("upgrade") as Listener[];
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    west.handleRequest(request, response, () => {
      if (requestListeners.length === 0) answerNotFound(response);
      for (const listener of requestListeners) Reflect.apply(listener, server, [request, response]);
    });
  };
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (west.handleUpgrade(request, socket, head)) return;
    for (const listener of upgradeListeners) Reflect.apply(listener, server, [request, socket, head]);
    if (server.listenerCount("upgrade") === 1 && upgradeListeners.length === 0) {
      socket.on("error", () => undefined);
      refuseUpgrade(socket, { status: 404, body: "not found\n" });
    }
  };
  replaceListeners(server, "request", requestListeners, [onRequest]);
  replaceListeners(server, "upgrade", upgradeListeners, [onUpgrade]);

  const address = () => {
    const bound = server.address();
    return bound === null || typeof bound === "string" ? undefined : (bound as AddressInfo);
  };
  return {
    port: () => address()?.port,
    url() {
      const bound = address();
      if (bound === undefined) return undefined;
      const host = bound.family === "IPv6" ? `[${bound.address}]` : bound.address;
      return `${server instanceof HttpsServer ? "https" : "http"}://${host}:${bound.port}`;
    },
    detach() {
      replaceListeners(server, "request", [onRequest], requestListeners);
      replaceListeners(server, "upgrade", [onUpgrade], upgradeListeners);
    },
  };
}

/** Puts `added` where `removed` were among the server's listeners of `event`, keeping the others in order. */
function replaceListeners(server: HttpServer, event: string, removed: Listener[], added: Listener[]): void {
  const current = server.rawListeners(event) as Listener[];
  server.removeAllListeners(event);
  let placed = false;
  for (const listener of current) {
    if (!removed.includes(listener)) server.on(event, listener);
    else if (!placed) {
      placed = true;
      for (const replacement of added) server.on(event, replacement);
    }
  }
  if (!placed) for (const replacement of added) server.on(event, replacement);
}
