import type { IncomingMessage } from "node:http";
import type { Refusal } from "./upgrade.js";

const FORBIDDEN_ORIGIN: Refusal = { status: 403, body: "origin not allowed\n" };

/**
 * Which browser pages may open WebSockets (option allowedOrigins): a request without an Origin header (not a
 * browser) and one from the node's own origin (the Origin's host is the Host header) always may; others only
 * when their origin is in `allowed`, or `allowed` holds "*". Origins compare case-insensitively, without a
 * trailing slash.
 */
export function originPolicy(allowed: readonly string[]): (request: IncomingMessage) => Refusal | undefined {
  const origins = new Set(allowed.map(normalOrigin));
  const anyOrigin = origins.has("*");
  return (request) => {
    const { origin, host } = request.headers;
    if (origin === undefined || anyOrigin || origins.has(normalOrigin(origin))) return undefined;
    return host !== undefined && originHost(origin) === host.toLowerCase() ? undefined : FORBIDDEN_ORIGIN;
  };
}

function normalOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/$/, "");
}

/** `http://Example.com:8080` -> `example.com:8080`; undefined for an opaque origin such as `null`. */
function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host || undefined;
  } catch {
    return undefined;
  }
}
