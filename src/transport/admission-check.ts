import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.js";
import { type Admitted, withoutToken } from "./admission.js";
import type { Refusal } from "./upgrade.js";

const ADMITTED_BODY = "admitted: an upgrade to this URL would open a WebSocket\n";

/**
 * Answers a GET (or HEAD) of an upgrade URL without an Upgrade header with the status and body that the
 * upgrade would get: 200 when it would open, else its refusal. Browsers hide a refused upgrade's status
 * behind close code 1006, so a page asks this to explain it. `decide` is the upgrade's own decision (origin,
 * endpoint and key, token, handshake hook, readiness and its timeout). A page of a foreign origin that the
 * upgrade would refuse gets that 403 and nothing else: it may read it (Access-Control-Allow-Origin), the
 * token and the key are not looked at. Pages of allowed origins may read the whole answer.
 */
export async function serveAdmissionCheck(
  request: IncomingMessage,
  response: ServerResponse,
  originRefusal: (request: IncomingMessage) => Refusal | undefined,
  decide: (request: IncomingMessage) => Promise<Admitted | Refusal>,
  logger: Logger,
): Promise<void> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    answer(request, response, { status: 405, body: "method not allowed\n" }, { allow: "GET, HEAD" });
    return;
  }
  const decision = originRefusal(request) ?? (await decide(request));
  const refusal = "status" in decision ? decision : undefined;
  if (refusal !== undefined)
    logger.info({ url: withoutToken(request.url), status: refusal.status }, "admission check refused");
  const { origin } = request.headers;
  const cors: Record<string, string> = origin === undefined ? {} : { "access-control-allow-origin": origin };
  answer(request, response, refusal ?? { status: 200, body: ADMITTED_BODY }, { ...cors, vary: "Origin" });
}

function answer(
  request: IncomingMessage,
  response: ServerResponse,
  { status, body }: Refusal,
  headers: Record<string, string>,
): void {
  if (response.destroyed) return;
  response.writeHead(status, {
    ...headers,
    "content-type": "text/plain; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  response.end(request.method === "HEAD" ? undefined : body);
}
