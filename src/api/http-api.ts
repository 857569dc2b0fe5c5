import type { IncomingMessage, ServerResponse } from "node:http";
import { secretMatches } from "../auth/secret-match.js";
import type { Core } from "../core/core.js";
import type { Logger } from "../log.js";
import { API_COMMANDS, type ApiAnswer, runApiCommand } from "./api-commands.js";

export interface HttpApiOptions {
  /** The key a backend sends as `Authorization: apikey KEY`. */
  key: string;
  /** The largest body, in bytes (maxFrameBytes): a bigger one is answered 413. */
  maxBodyBytes: number;
  /** A body not received within this time is answered 408. */
  bodyTimeoutMs: number;
}

/** Where the API's commands are, under the node's HTTP prefix: `/api/COMMAND`. */
export const API_PATH = "/api/";

/**
 * The HTTP API for backends (docs/http-api.md): `POST /api/COMMAND` with `Authorization: apikey KEY` and the JSON
 * protocol's fields as the body; the answer is the JSON protocol's reply. `path` is the request's path under the
 * node's HTTP prefix. False for a path it does not serve.
 */
export function serveApi(
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
  core: Core,
  options: HttpApiOptions & { closing(): boolean },
  logger: Logger,
): boolean {
  if (!path.startsWith(API_PATH)) return false;
  const command = path.slice(API_PATH.length);
  const done = (status: number, body: unknown) => {
    core.counters.countApiRequest(API_COMMANDS.has(command) ? command : "other", status);
    answer(response, status, body);
  };
  if (request.method !== "POST") {
    response.setHeader("allow", "POST");
    done(405, problem("method not allowed: POST only"));
    request.resume();
    return true;
  }
  if (!hasKey(request, options.key)) {
    done(401, problem("missing or wrong API key (Authorization: apikey KEY)"));
    request.resume();
    return true;
  }
  if (!API_COMMANDS.has(command)) {
    done(404, problem(`no such API command: ${JSON.stringify(command)}`));
    request.resume();
    return true;
  }
  readBody(request, options)
    .then(async (body) => {
      if (typeof body === "number") {
        done(body, problem(body === 413 ? "body too large" : "body not received in time"));
        if (!request.complete) request.destroy();
        return;
      }
      if (options.closing()) {
        done(503, { event: "internal_error", from: "west", reason: "node shutting down" });
        return;
      }
      const { status, reply }: ApiAnswer = await runApiCommand(core, command, body);
      done(status, reply);
    })
    .catch((error: unknown) => {
      logger.error({ err: error, command }, "API request failed");
      if (!response.headersSent) done(503, { event: "internal_error", from: "west", reason: "server fault" });
      else response.destroy();
    });
  return true;
}

/** The answer under `API_PATH` of a node whose own server serves no API (no api.key). */
export function answerApiOff(request: IncomingMessage, response: ServerResponse): void {
  answer(response, 404, problem("the HTTP API is off: the node has no api.key"));
  request.resume();
}

/** Whether the request carries `Authorization: apikey KEY` with the configured key. */
function hasKey(request: IncomingMessage, key: string): boolean {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^apikey (.+)$/i.exec(header);
  return match !== null && secretMatches(match[1] as string, key);
}

/** The body as text, or the status that refuses it: 413 past `maxBodyBytes`, 408 past `bodyTimeoutMs`. */
function readBody(request: IncomingMessage, options: HttpApiOptions): Promise<string | 408 | 413> {
  const declared = Number(request.headers["content-length"]);
  if (Number.isFinite(declared) && declared > options.maxBodyBytes) return Promise.resolve(413);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const timer = setTimeout(() => finish(408), options.bodyTimeoutMs);
    const finish = (outcome: string | 408 | 413) => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      resolve(outcome);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > options.maxBodyBytes) finish(413);
      else chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks, bytes).toString("utf8"));
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
  });
}

/** The body of an answer that is not the protocol's (401, 404, 405, 408, 413): what went wrong, for people. */
function problem(error: string) {
  return { error };
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  response.end(text);
}
