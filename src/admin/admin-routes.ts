import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { TLSSocket } from "node:tls";
import type { Logger } from "../log.js";
import { serveStatic, WEB_ROOT } from "../transport/static-files.js";
import type { AdminFeed } from "./admin-feed.js";
import { type AdminSessions, SESSION_COOKIE, SESSION_TTL_MS } from "./admin-sessions.js";

/** The dashboard on a node: who may see it, its live stream, and what it may do. */
export interface Admin {
  sessions: AdminSessions;
  feed: AdminFeed;
  /** Runs one of ACTIONS as the HTTP API runs it, with the JSON body `text`: its status and JSON reply. */
  act(command: Action, text: string): Promise<{ status: number; reply: string }>;
}

/** What the dashboard may do: the HTTP API's commands of these names. */
export const ACTIONS = ["disconnect", "publish"] as const;
export type Action = (typeof ACTIONS)[number];
/** The header every action must carry: a page of another site cannot send it without CORS, which is never allowed. */
const ACTION_HEADER = "x-west-admin";
const MAX_ACTION_BYTES = 64 * 1024;

const ADMIN = "/admin";

/** The charting library, served from where npm installed it (no build step, no copy in the package). */
const resolve = createRequire(import.meta.url).resolve;
const VENDOR: Record<string, { file: string; type: string }> = {
  "/vendor/uPlot.esm.js": {
    file: resolve("uplot/dist/uPlot.esm.js"),
    type: "text/javascript; charset=utf-8",
  },
  "/vendor/uPlot.min.css": { file: resolve("uplot/dist/uPlot.min.css"), type: "text/css; charset=utf-8" },
};
/** A login form is a few bytes; more is not one. */
const MAX_LOGIN_BYTES = 4096;
const BODY_TIMEOUT_MS = 5000;

/**
 * Serves the dashboard at `/admin` under the node's HTTP prefix (`path` is the request's path under it): the
 * sign-in page until the viewer has given the password, then the dashboard and its stream. False for any other
 * path. The password is never logged.
 */
export function serveAdmin(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  prefix: string,
  admin: Admin,
  logger: Logger,
): boolean {
  if (path !== ADMIN && !path.startsWith(`${ADMIN}/`)) return false;
  const page = path.slice(ADMIN.length);
  const signedIn = admin.sessions.isSignedIn(request);
  if (page === "") redirect(response, `${prefix}${ADMIN}/`);
  else if (page === "/login" && request.method === "POST")
    signIn(request, response, prefix, admin).catch((error: unknown) => {
      logger.warn({ err: error }, "admin sign-in failed");
      response.destroy();
    });
  else if (page === "/logout" && request.method === "POST") {
    admin.sessions.signOut(request);
    redirect(response, `${prefix}${ADMIN}/`, cookie(request, prefix, "", 0));
  } else if (page.startsWith("/act/")) {
    act(request, response, page.slice("/act/".length), signedIn, admin, logger);
  } else if (page === "/stream") {
    if (signedIn) admin.feed.watch(response);
    else text(response, 401, "sign in first\n");
  } else if (page === "/") void sendPage(response, signedIn ? "index.html" : "login.html", 200);
  else if (VENDOR[page] !== undefined) void sendFile(response, VENDOR[page]);
  else
    serveStatic(request, response, path, "").then(
      (served) => served || text(response, 404, "not found\n"),
      () => response.destroy(),
    );
  return true;
}

/** An action of a signed-in viewer (POST, the action header, a JSON body): the HTTP API's answer, as JSON. */
function act(
  request: IncomingMessage,
  response: ServerResponse,
  name: string,
  signedIn: boolean,
  admin: Admin,
  logger: Logger,
): void {
  const action = ACTIONS.find((known) => known === name);
  const refusal = !signedIn
    ? { status: 401, body: "sign in first\n" }
    : action === undefined
      ? { status: 404, body: "no such action\n" }
      : request.method !== "POST" || request.headers[ACTION_HEADER] !== "1"
        ? { status: 400, body: `an action is a POST with the header ${ACTION_HEADER}: 1\n` }
        : undefined;
  if (refusal !== undefined || action === undefined) {
    text(response, refusal?.status ?? 404, refusal?.body ?? "");
    request.resume();
    return;
  }
  readBody(request, MAX_ACTION_BYTES)
    .then(async (body) => {
      if (body === undefined) {
        text(response, 413, "body too large or too slow\n");
        return;
      }
      const { status, reply } = await admin.act(action, body);
      logger.info({ action, status }, "admin action");
      response.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(reply),
      });
      response.end(reply);
    })
    .catch((error: unknown) => {
      logger.error({ err: error, action }, "admin action failed");
      response.destroy();
    });
}

async function signIn(
  request: IncomingMessage,
  response: ServerResponse,
  prefix: string,
  admin: Admin,
): Promise<void> {
  const body = await readBody(request, MAX_LOGIN_BYTES);
  const password = body === undefined ? undefined : new URLSearchParams(body).get("password");
  const token = password == null ? undefined : admin.sessions.signIn(password);
  if (token === undefined) {
    await sendPage(response, "login.html", 401);
    return;
  }
  redirect(response, `${prefix}${ADMIN}/`, cookie(request, prefix, token, SESSION_TTL_MS / 1000));
}

/** The body as text; undefined when it is bigger than `maxBytes` or does not come within BODY_TIMEOUT_MS. */
function readBody(request: IncomingMessage, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const timer = setTimeout(() => finish(undefined), BODY_TIMEOUT_MS);
    const finish = (body: string | undefined) => {
      clearTimeout(timer);
      request.removeAllListeners("data");
      resolve(body);
    };
    request.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) finish(undefined);
      else chunks.push(chunk);
    });
    request.once("end", () => finish(Buffer.concat(chunks).toString("utf8")));
    request.once("error", () => finish(undefined));
  });
}

/** The session cookie: HttpOnly, same site only, for the dashboard's paths; Secure over https. */
function cookie(request: IncomingMessage, prefix: string, token: string, maxAgeSeconds: number): string {
  const https =
    (request.socket as Partial<TLSSocket>).encrypted === true ||
    String(request.headers["x-forwarded-proto"] ?? "").startsWith("https");
  return (
    `${SESSION_COOKIE}=${token}; Path=${prefix}${ADMIN}; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}` +
    (https ? "; Secure" : "")
  );
}

function sendPage(response: ServerResponse, file: string, status: number): Promise<void> {
  return sendFile(response, { file: `${WEB_ROOT}/admin/${file}`, type: "text/html; charset=utf-8" }, status);
}

async function sendFile(
  response: ServerResponse,
  { file, type }: { file: string; type: string },
  status = 200,
): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    response.destroy();
    return;
  }
  response.writeHead(status, {
    "content-type": type,
    "content-length": body.length,
    "cache-control": "no-cache",
  });
  response.end(body);
}

function redirect(response: ServerResponse, location: string, setCookie?: string): void {
  response.writeHead(303, {
    location,
    "content-length": 0,
    ...(setCookie === undefined ? {} : { "set-cookie": setCookie }),
  });
  response.end();
}

function text(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  response.end(body);
}
