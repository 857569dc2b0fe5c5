import type { IncomingMessage } from "node:http";
import type { TLSSocket } from "node:tls";
import type { Refusal } from "./upgrade.js";

const FORBIDDEN_ORIGIN: Refusal = { status: 403, body: "origin not allowed\n" };

/**
 * Which browser pages may open WebSockets (option allowedOrigins): a request without an Origin header (not a
 * browser) and one from the node's own origin (see `ownOrigin`) always may; others only when their origin is in
 * `allowed`, or `allowed` holds "*". Origins compare case-insensitively, without a trailing slash.
 */
export function originPolicy(allowed: readonly string[]): (request: IncomingMessage) => Refusal | undefined {
  const origins = new Set(allowed.map(normalOrigin));
  const anyOrigin = origins.has("*");
  return (request) => {
    const { origin } = request.headers;
    if (origin === undefined || anyOrigin || origins.has(normalOrigin(origin))) return undefined;
    const own = ownOrigin(request);
    return own !== undefined && serialized(origin) === own ? undefined : FORBIDDEN_ORIGIN;
  };
}

/**
 * The origin a page served by this node has: scheme and Host header. The scheme is https on a TLS connection;
 * else the first value of X-Forwarded-Proto when it is http or https (a proxy that terminates TLS says so; a
 * browser page cannot set that header on a WebSocket); else http. Undefined without a usable Host.
 */
function ownOrigin(request: IncomingMessage): string | undefined {
  const { host } = request.headers;
  if (host === undefined) return undefined;
  const forwarded = request.headers["x-forwarded-proto"];
  const proxied = (Array.isArray(forwarded) ? forwarded[0] : forwarded)
    ?.split(",", 1)[0]
    ?.trim()
    .toLowerCase();
  const scheme = (request.socket as Partial<TLSSocket>).encrypted
    ? "https"
    : proxied === "https" || proxied === "http"
      ? proxied
      : "http";
  return serialized(`${scheme}://${host}`);
}

function normalOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/$/, "");
}

/** `HTTPS://Example.com:443` -> `https://example.com`; undefined for an opaque origin such as `null`. */
function serialized(origin: string): string | undefined {
  try {
    const url = new URL(origin);
    return url.host === "" ? undefined : url.origin;
  } catch {
    return undefined;
  }
}
