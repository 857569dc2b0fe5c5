import type { IncomingMessage, ServerResponse } from "node:http";
import { requestUrl } from "./upgrade.js";

/**
 * A path option (`path`, `httpPrefix`) as the node uses it: starting with `/`, without a trailing `/`; `""` for
 * the root, which only `allowRoot` accepts. Throws a TypeError for anything else.
 */
export function normalPath(value: string, option: string, allowRoot: boolean): string {
  if (typeof value !== "string") throw new TypeError(`option ${option} must be a string`);
  const path = value.replace(/\/+$/, "");
  const problem =
    path !== "" && !path.startsWith("/")
      ? "must start with /"
      : /[?#\s%\\]/.test(path) || path.includes("//")
        ? "must be a plain path (no ?, #, %, \\, //, or white space)"
        : path === "" && !allowRoot
          ? "must not be the root"
          : undefined;
  if (problem !== undefined) throw new TypeError(`option ${option} ${problem}: ${JSON.stringify(value)}`);
  return path;
}

/** The request's path, dot segments resolved; undefined when its URL cannot be parsed. */
export function requestPath(request: IncomingMessage): string | undefined {
  return requestUrl(request.url)?.pathname;
}

/** `path` under `prefix` (`/west/healthz` under `/west` is `/healthz`); undefined when it is not under it. */
export function underPrefix(path: string, prefix: string): string | undefined {
  if (prefix === "") return path;
  if (path === prefix) return "";
  return path.startsWith(`${prefix}/`) ? path.slice(prefix.length) : undefined;
}

/** 404 for a request that no route serves. */
export function answerNotFound(response: ServerResponse): void {
  const body = "not found\n";
  response.writeHead(404, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
