import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, normalize, sep } from "node:path";
import { packagePath } from "../package-root.js";

/** The browser client, served at `/` (the `web/` folder of the package). */
export const WEB_ROOT = packagePath("web");

/** Files served from elsewhere in the package: the protobuf schema, for clients in any language. */
const VENDOR: Record<string, string> = {
  "/vendor/message.proto": packagePath("src", "protocols", "message.proto"),
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".proto": "text/plain; charset=utf-8",
};

/** Serves GET/HEAD of the web client's files; everything else is 404 (or 405 for other methods). */
export async function serveStatic(request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== "GET" && request.method !== "HEAD")
    return reply(response, 405, "method not allowed\n");
  const path = filePath(request.url ?? "/");
  const info = path === undefined ? undefined : await stat(path).catch(() => undefined);
  if (path === undefined || info === undefined || !info.isFile()) return reply(response, 404, "not found\n");
  response.writeHead(200, {
    "content-type": TYPES[extname(path)] ?? "application/octet-stream",
    "content-length": info.size,
    "cache-control": "no-cache",
  });
  if (request.method === "HEAD") {
    response.end();
    return;
  }
  createReadStream(path)
    .on("error", () => response.destroy())
    .pipe(response);
}

function filePath(url: string): string | undefined {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url, "http://localhost").pathname);
  } catch {
    return undefined;
  }
  const vendored = VENDOR[pathname];
  if (vendored !== undefined) return vendored;
  const relative = normalize(pathname === "/" ? "index.html" : pathname.slice(1));
  if (relative.startsWith("..") || relative.includes(`${sep}..`) || relative.includes("\0")) return undefined;
  return join(WEB_ROOT, relative);
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
