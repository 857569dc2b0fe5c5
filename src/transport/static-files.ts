import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
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

const INDEX = "index.html";
/** The page's `<meta>` that tells it where the WebSocket endpoints are; the node fills in its own. */
const ENDPOINTS_META = /(<meta name="west-path" content=")[^"]*(")/;

/**
 * Serves GET/HEAD of the web client's file at `path` (the request's path under the node's HTTP prefix), 405 for
 * other methods; resolves false when there is no such file, which the caller serves. The page learns the
 * WebSocket endpoints' base, `endpointsBase`, from its index.html.
 */
export async function serveStatic(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  endpointsBase: string,
): Promise<boolean> {
  const file = filePath(path);
  const info = file === undefined ? undefined : await stat(file).catch(() => undefined);
  if (file === undefined || info === undefined || !info.isFile()) return false;
  if (request.method !== "GET" && request.method !== "HEAD") {
    reply(response, 405, "method not allowed\n");
    return true;
  }
  const type = TYPES[extname(file)] ?? "application/octet-stream";
  if (file === join(WEB_ROOT, INDEX)) {
    const page = (await readFile(file, "utf8")).replace(ENDPOINTS_META, `$1${attribute(endpointsBase)}$2`);
    send(request, response, type, Buffer.from(page, "utf8"));
    return true;
  }
  response.writeHead(200, { "content-type": type, "content-length": info.size, "cache-control": "no-cache" });
  if (request.method === "HEAD") response.end();
  else
    createReadStream(file)
      .on("error", () => response.destroy())
      .pipe(response);
  return true;
}

function filePath(path: string): string | undefined {
  let pathname: string;
  try {
    pathname = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  const vendored = VENDOR[pathname];
  if (vendored !== undefined) return vendored;
  const relative = normalize(pathname === "/" ? INDEX : pathname.slice(1));
  if (relative.startsWith("..") || relative.includes(`${sep}..`) || relative.includes("\0")) return undefined;
  return join(WEB_ROOT, relative);
}

function attribute(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;");
}

function send(request: IncomingMessage, response: ServerResponse, type: string, body: Buffer): void {
  response.writeHead(200, {
    "content-type": type,
    "content-length": body.length,
    "cache-control": "no-cache",
  });
  response.end(request.method === "HEAD" ? undefined : body);
}

function reply(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
