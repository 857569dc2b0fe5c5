import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Registry } from "prom-client";
import { WebSocketServer } from "ws";
import { type Admin, serveAdmin } from "../admin/admin-routes.js";
import { type HttpApiOptions, serveApi } from "../api/http-api.js";
import type { TokenVerifier } from "../auth/jwt-verifier.js";
import type { Core } from "../core/core.js";
import type { AdapterHealth } from "../core/seam.js";
import type { Logger } from "../log.js";
import type { HandshakeHook } from "../options.js";
import { type Codec, PROTOCOL_NAMES, type ProtocolName } from "../protocols/codec.js";
import { jsonCodec } from "../protocols/json.js";
import { pbCodec } from "../protocols/pb.js";
import { textCodec } from "../protocols/text.js";
import { type Admitted, admit, withoutToken } from "./admission.js";
import { serveAdmissionCheck } from "./admission-check.js";
import { frameEncoder } from "./frame-encoder.js";
import { requestPath, underPrefix } from "./http-routes.js";
import { startKeepalive } from "./keepalive.js";
import { serveOps } from "./ops-endpoints.js";
import { originPolicy } from "./origin.js";
import { type SlowConsumerLimits, SlowConsumers } from "./slow-consumers.js";
import { attachSocket, closeSocket } from "./socket-session.js";
import { serveStatic } from "./static-files.js";
import { closeAtExpiry } from "./token-expiry.js";
import {
  type Endpoints,
  isEndpointPath,
  type Refusal,
  refuseUpgrade,
  requestUrl,
  type UpgradeTarget,
  upgradeTarget,
} from "./upgrade.js";
import { WriteBatcher } from "./write-batcher.js";
import { RAW_WRITES_SERVER_OPTIONS } from "./ws-internals.js";

/** How long shutdown waits for clients to answer the 1001 close before dropping them. */
const SHUTDOWN_GRACE_MS = 1000;
/** The answer to an upgrade that arrives, or is still being decided, once shutdown has begun. */
const SHUTTING_DOWN = { status: 503, body: "server shutting down\n" };
const SHUTTING_DOWN_HEALTH: AdapterHealth = { fields: {}, problem: "shutting down" };

const CODECS: Record<ProtocolName, Codec> = { text: textCodec, json: jsonCodec, pb: pbCodec };

export interface WestHttpOptions {
  /** Where the WebSocket endpoints are (option `path`). */
  endpoints: Endpoints;
  /** Where the other routes are (option `httpPrefix`): `""` or a path such as `/west`. */
  prefix: string;
  /** Serve the web client under the prefix. */
  webClient: boolean;
  /** Serve /healthz under the prefix. */
  healthz: boolean;
  /** What /metrics serves; undefined turns /metrics off. */
  metrics: Registry | undefined;
  /** The HTTP API for backends at PREFIX/api/; undefined: off (no `api.key`). */
  api: HttpApiOptions | undefined;
  /** The admin dashboard at PREFIX/admin; undefined: off (no `admin.password` nor `api.key`). */
  admin: Admin | undefined;
  maxFrameBytes: number;
  keepaliveIntervalMs: number;
  slowConsumers: SlowConsumerLimits;
  handshake: HandshakeHook | undefined;
  /** An upgrade not decided within this time (readiness, origin, token, hook) is refused with 503. */
  handshakeTimeoutMs: number;
  /** WebSockets served at once; one more is closed at once with 1013. */
  maxConnections: number;
  /** Per socket; 0: no limit. */
  maxCommandsPerSecond: number;
  maxKeyBytes: number;
  /** Origins allowed besides the node's own; "*": any. */
  allowedOrigins: readonly string[];
  /** Verifies connection tokens; undefined: auth is off. */
  verifier: TokenVerifier | undefined;
  /** Upgrades wait for this: the node has joined its distribution layer and can take commands. */
  ready: Promise<void>;
}

/** What a request handler calls for a request that is not the node's. */
export type Next = (error?: unknown) => void;

/** A node's HTTP side, on any HTTP server: its own (http-server.ts) or an application's (attach.ts). */
export interface WestHttp {
  /**
   * Serves the node's routes: the admission check of the WebSocket endpoints, and under the prefix the API,
   * /healthz, /metrics and the web client, as turned on; calls `next()` for any other request.
   */
  handleRequest(request: IncomingMessage, response: ServerResponse, next: Next): void;
  /** Takes an upgrade under the endpoints' base and returns true; returns false, touching nothing, for any other. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /**
   * Refuses new and pending upgrades with 503, answers API calls 503 and /healthz 503, closes every WebSocket
   * with 1001 and waits (at most SHUTDOWN_GRACE_MS) for them to go.
   */
  close(): Promise<void>;
}

/**
 * The node's HTTP routes and WebSocket endpoints: `PATH/{text|json|pb}/:key` upgrades, where a plain GET (no
 * Upgrade header) is an admission check (see admission-check.ts), and the routes under the prefix.
 */
export function createWestHttp(core: Core, options: WestHttpOptions, logger: Logger): WestHttp {
  const encoders = {
    text: frameEncoder(textCodec),
    json: frameEncoder(jsonCodec),
    pb: frameEncoder(pbCodec),
  } satisfies Record<ProtocolName, unknown>;
  const slowConsumers = new SlowConsumers(options.slowConsumers, logger, core.counters);
  const context = {
    core,
    logger,
    batcher: new WriteBatcher(),
    maxCommandsPerSecond: options.maxCommandsPerSecond,
    slowConsumers,
  };
  const originRefusal = originPolicy(options.allowedOrigins);
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    ...RAW_WRITES_SERVER_OPTIONS,
  });
  const ops = {
    health: options.healthz ? () => (closing ? SHUTTING_DOWN_HEALTH : core.health()) : undefined,
    metrics: options.metrics,
  };
  const api = options.api === undefined ? undefined : { ...options.api, closing: () => closing };

  let closing = false;
  /**
   * Upgrade sockets not handed to the WebSocket server: waiting on the handshake hook, or refused and not yet
   * closed by their client. The HTTP server no longer tracks them, and shutdown waits for each one.
   */
  const upgrading = new Set<Duplex>();

  // Listeners shared by every upgrade socket (called with the socket as `this`), removed once ws has it.
  const logUpgradeError = (error: Error) => logger.info({ err: error }, "upgrade socket error");
  function forgetUpgrade(this: Duplex) {
    upgrading.delete(this);
  }

  function handleRequest(request: IncomingMessage, response: ServerResponse, next: Next): void {
    if (!serveRequest(request, response, next)) next();
  }

  /** Whether the request is the node's: answered, or being answered (a web client file calls `next` when missing). */
  function serveRequest(request: IncomingMessage, response: ServerResponse, next: Next): boolean {
    const path = requestPath(request);
    if (path === undefined) return false;
    if (isEndpointPath(options.endpoints, path)) {
      serveAdmissionCheck(request, response, originRefusal, admission, logger).catch((error: unknown) =>
        failed(error, request, response),
      );
      return true;
    }
    const routed = underPrefix(path, options.prefix);
    if (routed === undefined) return false;
    if (api !== undefined && serveApi(request, response, routed, core, api, logger)) return true;
    if (serveOps(request, response, routed, ops, logger)) return true;
    const { admin } = options;
    if (admin !== undefined && serveAdmin(request, response, routed, options.prefix, admin, logger))
      return true;
    if (!options.webClient) return false;
    if (routed === "") {
      // The page's relative URLs (app.js, style.css) need the trailing slash.
      redirect(response, `${options.prefix}/${requestUrlQuery(request)}`);
      return true;
    }
    serveStatic(request, response, routed, options.endpoints.base).then(
      (served) => served || next(),
      (error: unknown) => failed(error, request, response),
    );
    return true;
  }

  function failed(error: unknown, request: IncomingMessage, response: ServerResponse): void {
    logger.error({ err: error, url: withoutToken(request.url) }, "http request failed");
    response.destroy();
  }

  /** Resolved `options.ready`: an upgrade with nothing else to wait for is decided at once. */
  let joined = false;
  void options.ready.then(() => {
    joined = true;
  });
  const waitsForNothing = options.verifier === undefined && options.handshake === undefined;

  function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = requestUrl(request.url);
    if (url === undefined || !isEndpointPath(options.endpoints, url.pathname)) return false;
    socket.on("error", logUpgradeError);
    upgrading.add(socket);
    socket.on("close", forgetUpgrade);
    if (closing) refuseUpgrade(socket, SHUTTING_DOWN);
    else if (joined && waitsForNothing)
      // In this turn: no promise, no timer (a reconnect storm brings thousands at once).
      complete(request, socket, head, originRefusal(request) ?? target(url));
    else
      decide(request, url).then(
        // Shutdown began while this was being decided: the socket was already refused, and must not open.
        (decision) => closing || complete(request, socket, head, decision),
        (error: unknown) => {
          logger.error({ err: error }, "upgrade failed");
          socket.destroy();
        },
      );
    return true;
  }

  const target = (url: URL) => upgradeTarget(url, options.maxKeyBytes, options.endpoints);

  /** What an upgrade of `request` would get now: the admission check's answer. */
  async function admission(request: IncomingMessage): Promise<Admitted | Refusal> {
    return closing ? SHUTTING_DOWN : await decide(request, requestUrl(request.url));
  }

  /** The decision on an upgrade; a 503 saying what it waited for once that took handshakeTimeoutMs. */
  async function decide(request: IncomingMessage, url: URL | undefined): Promise<Admitted | Refusal> {
    let waitingFor = "the node to join its distribution layer";
    const decision = (async () => {
      await options.ready;
      waitingFor = "the token check and the handshake hook";
      return (
        originRefusal(request) ??
        (await admit(request, url, {
          verifier: options.verifier,
          handshake: options.handshake,
          maxKeyBytes: options.maxKeyBytes,
          endpoints: options.endpoints,
          logger,
          authFailures: core.counters.authFailures,
        }))
      );
    })();
    const timeoutMs = options.handshakeTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    // Unref'd: a pending upgrade must not keep a stopped node's process alive.
    const late = new Promise<Refusal>((resolve) => {
      timer = setTimeout(() => {
        logger.warn({ url: withoutToken(request.url), waitingFor, timeoutMs }, "upgrade not decided in time");
        resolve({
          status: 503,
          body: `upgrade not decided within ${timeoutMs} ms: waiting for ${waitingFor}\n`,
        });
      }, timeoutMs).unref();
    });
    try {
      // A decision that comes after the timeout is dropped (race keeps a late failure from going unhandled).
      return await Promise.race([decision, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Refuses the upgrade, or opens its WebSocket and binds it to a session. */
  function complete(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    decision: Admitted | UpgradeTarget | Refusal,
  ): void {
    if ("status" in decision) {
      logger.info({ url: withoutToken(request.url), status: decision.status }, "upgrade refused");
      refuseUpgrade(socket, decision);
      return;
    }
    const admitted: Admitted = decision;
    sockets.handleUpgrade(request, socket, head, (ws) => {
      upgrading.delete(socket);
      socket.off("error", logUpgradeError);
      socket.off("close", forgetUpgrade);
      // Sockets with a session; not those closed at once with 1013, nor native clients.
      const served = PROTOCOL_NAMES.reduce(
        (sum, protocol) => sum + core.counters.openConnections(protocol),
        0,
      );
      if (served >= options.maxConnections) {
        core.counters.limitHits.connections++;
        logger.info({ url: withoutToken(request.url), limit: options.maxConnections }, "connection limit");
        ws.close(1013, "try again later");
        return;
      }
      sockets.emit("connection", ws, request);
      attachSocket(
        ws,
        socket,
        CODECS[admitted.protocol],
        encoders[admitted.protocol],
        admitted.key,
        context,
        {
          claims: admitted.identity?.claims,
        },
      );
      if (admitted.expiresAtMs !== undefined)
        closeAtExpiry(ws, admitted.expiresAtMs, () =>
          logger.info({ key: admitted.key }, "token expired: connection closed"),
        );
    });
  }

  const stopKeepalive = startKeepalive(sockets, options.keepaliveIntervalMs);

  return {
    handleRequest,
    handleUpgrade,
    async close() {
      if (closing) return;
      closing = true;
      options.admin?.feed.close();
      stopKeepalive();
      slowConsumers.stop();
      for (const socket of upgrading) refuseUpgrade(socket, SHUTTING_DOWN);
      await Promise.all([
        closeSockets(sockets, SHUTDOWN_GRACE_MS),
        closeUpgrades(upgrading, SHUTDOWN_GRACE_MS),
      ]);
    },
  };
}

function requestUrlQuery(request: IncomingMessage): string {
  const index = (request.url ?? "").indexOf("?");
  return index === -1 ? "" : (request.url as string).slice(index);
}

function redirect(response: ServerResponse, location: string): void {
  response.writeHead(301, { location, "content-length": 0 });
  response.end();
}

async function closeSockets(sockets: WebSocketServer, graceMs: number): Promise<void> {
  const open = [...sockets.clients];
  const allClosed = Promise.all(
    open.map((socket) => new Promise((resolve) => socket.once("close", resolve))),
  );
  for (const socket of open) closeSocket(socket, 1001, "server shutting down");
  const timer = setTimeout(() => {
    for (const socket of open) socket.terminate();
  }, graceMs);
  await allClosed;
  clearTimeout(timer);
}

/** Waits for refused upgrade sockets to close (the client reads the refusal and hangs up); drops the rest. */
async function closeUpgrades(refused: Set<Duplex>, graceMs: number): Promise<void> {
  const open = [...refused].filter((socket) => !socket.destroyed);
  const allClosed = Promise.all(
    open.map((socket) => new Promise((resolve) => socket.once("close", resolve))),
  );
  const timer = setTimeout(() => {
    for (const socket of open) socket.destroy();
  }, graceMs);
  await allClosed;
  clearTimeout(timer);
}
