import { type IncomingMessage, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { isValidKey, keyRule } from "../core/names.js";
import type { HandshakeHook, VerifiedIdentity } from "../options.js";
import { PROTOCOL_NAMES, type ProtocolName } from "../protocols/codec.js";

export type UpgradeTarget = { protocol: ProtocolName; key: string };
export type UpgradePath = { protocol: ProtocolName; key: string | undefined };
export type Refusal = { status: number; body: string };

/**
 * Where the WebSocket endpoints are: `base` (option `path`, `/websocket` by default) followed by
 * `/{text|json|pb}/:key`.
 */
export interface Endpoints {
  readonly base: string;
  /** PATH/PROTOCOL[/KEY][/]: the protocol and the raw key. */
  readonly pattern: RegExp;
}

/** The endpoints under `base`, a path such as `/websocket` (see `normalPath`). */
export function endpointsAt(base: string): Endpoints {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return { base, pattern: new RegExp(`^${escaped}/([^/]+)(?:/([^/]*))?/?$`) };
}

/** Whether `pathname` is under the endpoints' base (an upgrade there is the node's, or a plain GET its admission check). */
export function isEndpointPath(endpoints: Endpoints, pathname: string): boolean {
  return pathname === endpoints.base || pathname.startsWith(`${endpoints.base}/`);
}

/**
 * Reads `PATH/{text|json|pb}/:key`; a refusal for anything else
 * (docs/protocol.md, "Endpoints and the upgrade").
 */
export function upgradeTarget(
  url: URL | undefined,
  maxKeyBytes: number,
  endpoints: Endpoints,
): UpgradeTarget | Refusal {
  const path = upgradePath(url, maxKeyBytes, endpoints);
  if ("status" in path) return path;
  if (path.key === undefined) return { status: 404, body: "missing client key\n" };
  return { protocol: path.protocol, key: path.key };
}

/** The refusal of an upgrade whose URL cannot be parsed. */
export const UNPARSABLE_URL: Refusal = { status: 400, body: "the request URL cannot be parsed\n" };

/** A request's target (`request.url`) as a URL; undefined when it cannot be parsed (`//[`). */
export function requestUrl(url: string | undefined): URL | undefined {
  try {
    return new URL(url ?? "/", "http://localhost");
  } catch {
    return undefined;
  }
}

/** Reads `PATH/{text|json|pb}/:key` of the request's URL (`requestUrl`), where the key may be left out (`key` undefined). */
export function upgradePath(
  parsed: URL | undefined,
  maxKeyBytes: number,
  endpoints: Endpoints,
): UpgradePath | Refusal {
  if (parsed === undefined) return UNPARSABLE_URL;
  const match = endpoints.pattern.exec(parsed.pathname);
  const protocol = match?.[1] as ProtocolName | undefined;
  if (match === null || protocol === undefined || !PROTOCOL_NAMES.includes(protocol)) {
    return { status: 404, body: `no such endpoint: use ${endpoints.base}/{text|json|pb}/:key\n` };
  }
  const rawKey = match[2];
  if (rawKey === undefined || rawKey === "") return { protocol, key: undefined };
  let key: string;
  try {
    key = decodeURIComponent(rawKey);
  } catch {
    return { status: 400, body: "client key is not valid percent-encoding\n" };
  }
  if (!isValidKey(key, maxKeyBytes))
    return { status: 400, body: `invalid client key: ${keyRule(maxKeyBytes)}\n` };
  return { protocol, key };
}

/** Asks the handshake hook; `undefined` means go on. A hook that throws refuses with 500. */
export async function handshakeRefusal(
  hook: HandshakeHook | undefined,
  request: IncomingMessage,
  identity?: VerifiedIdentity,
): Promise<Refusal | undefined> {
  if (hook === undefined) return undefined;
  let verdict: unknown;
  try {
    verdict = await hook(request, identity);
  } catch {
    return { status: 500, body: "handshake hook failed\n" };
  }
  if (verdict === true) return undefined;
  if (typeof verdict === "object" && verdict !== null && "status" in verdict) {
    const { status, body } = verdict as { status: unknown; body?: unknown };
    if (typeof status === "number" && Number.isInteger(status) && status >= 400 && status <= 599) {
      return { status, body: typeof body === "string" ? body : "" };
    }
  }
  return { status: 401, body: "unauthorized\n" };
}

/**
 * How long the client of a refused upgrade has to read the answer and close its side of the socket; then the
 * server drops the socket, so that a client that keeps it open cannot hold a file descriptor forever.
 */
export const REFUSAL_GRACE_MS = 1000;

/** Answers an upgrade request with a plain HTTP error and drops the socket REFUSAL_GRACE_MS later; no WebSocket opens. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  if (socket.destroyed || socket.writableEnded) return;
  const body = Buffer.from(refusal.body, "utf8");
  socket.end(
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? "Refused"}\r\n` +
      "Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${body.length}\r\n\r\n${body.toString("utf8")}`,
  );
  // Unref'd: an open socket keeps the process alive by itself, and the timer must not outlive it.
  const timer = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS).unref();
  socket.once("close", () => clearTimeout(timer));
}
