import type { IncomingMessage, ServerResponse } from "node:http";
import type { Registry } from "prom-client";
import type { AdapterHealth } from "../core/seam.js";
import type { Logger } from "../log.js";

/** What the operations endpoints serve. */
export interface OpsEndpoints {
  /** The node's health now: /healthz answers 200 without a `problem`, 503 with one; undefined: not served. */
  health: (() => AdapterHealth) | undefined;
  /** What /metrics serves; undefined when metrics are off (then /metrics is not found). */
  metrics: Registry | undefined;
}

/**
 * Serves /healthz and /metrics (GET or HEAD) at `path`, the request's path under the node's HTTP prefix; false for
 * any other path and for one turned off, which the caller serves.
 */
export function serveOps(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  ops: OpsEndpoints,
  logger: Logger,
): boolean {
  const registry = path === "/metrics" ? ops.metrics : undefined;
  const health = path === "/healthz" ? ops.health : undefined;
  if (health === undefined && registry === undefined) return false;
  if (request.method !== "GET" && request.method !== "HEAD") {
    answer(request, response, 405, TEXT, "method not allowed\n", { allow: "GET, HEAD" });
  } else if (health !== undefined) {
    serveHealth(request, response, health());
  } else if (registry !== undefined) {
    serveMetrics(request, response, registry, logger);
  }
  return true;
}

function serveHealth(request: IncomingMessage, response: ServerResponse, health: AdapterHealth): void {
  const { fields, problem } = health;
  const body =
    problem === undefined
      ? { status: "ok", ...fields }
      : { status: "unavailable", reason: problem, ...fields };
  answer(request, response, problem === undefined ? 200 : 503, "application/json", JSON.stringify(body));
}

function serveMetrics(
  request: IncomingMessage,
  response: ServerResponse,
  registry: Registry,
  logger: Logger,
): void {
  registry.metrics().then(
    (text) => answer(request, response, 200, registry.contentType, text),
    (error: unknown) => {
      logger.error({ err: error }, "metrics could not be collected");
      answer(request, response, 500, TEXT, "metrics could not be collected\n");
    },
  );
}

const TEXT = "text/plain; charset=utf-8";

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, {
    ...headers,
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  response.end(request.method === "HEAD" ? undefined : body);
}
