import type { IncomingMessage } from "node:http";
import type { TokenFailure, TokenVerifier } from "../auth/jwt-verifier.js";
import type { Logger } from "../log.js";
import type { HandshakeHook, VerifiedIdentity } from "../options.js";
import type { ProtocolName } from "../protocols/codec.js";
import {
  type Endpoints,
  handshakeRefusal,
  type Refusal,
  requestUrl,
  upgradePath,
  upgradeTarget,
} from "./upgrade.js";

/** Why an upgrade was refused for its token (the `reason` of the "auth failure" log line). */
export type AuthFailure = TokenFailure | "missing" | "key_mismatch";

/** An upgrade that may open: its endpoint, the client's key and, with auth on, its verified token. */
export interface Admitted {
  protocol: ProtocolName;
  key: string;
  identity?: VerifiedIdentity;
  /** When the token expires, epoch ms: the socket is closed then (1008). */
  expiresAtMs?: number;
}

export interface AdmissionOptions {
  /** Undefined: auth is off. */
  verifier: TokenVerifier | undefined;
  handshake: HandshakeHook | undefined;
  /** Longest client key, in UTF-8 bytes (URL keys and token subjects alike). */
  maxKeyBytes: number;
  endpoints: Endpoints;
  logger: Logger;
  /** Counted by reason; `refused`: the handshake hook said no. */
  authFailures: Record<AuthFailure | "refused", number>;
}

const REFUSALS: Record<AuthFailure, Refusal> = {
  missing: { status: 401, body: "missing token: send Authorization: Bearer TOKEN, or ?token=TOKEN\n" },
  invalid: { status: 401, body: "invalid token\n" },
  expired: { status: 401, body: "token expired\n" },
  key_mismatch: { status: 403, body: "the client key in the URL is not the token's subject\n" },
};

/**
 * Decides an upgrade: the endpoint and key, then (auth on) the token, whose `sub` is the key, then the
 * handshake hook, which gets the verified identity as its second argument.
 */
export async function admit(
  request: IncomingMessage,
  url: URL | undefined,
  { verifier, handshake, maxKeyBytes, endpoints, logger, authFailures }: AdmissionOptions,
): Promise<Admitted | Refusal> {
  const hookRefusal = async (identity?: VerifiedIdentity) => {
    const refusal = await handshakeRefusal(handshake, request, identity);
    if (refusal !== undefined) authFailures.refused++;
    return refusal;
  };
  if (verifier === undefined) {
    const target = upgradeTarget(url, maxKeyBytes, endpoints);
    if ("status" in target) return target;
    return (await hookRefusal()) ?? target;
  }
  const path = upgradePath(url, maxKeyBytes, endpoints);
  if ("status" in path) return path;
  const failed = (reason: AuthFailure, detail?: string) => {
    authFailures[reason]++;
    return authFailure(reason, detail, request, logger);
  };
  const token = upgradeToken(request, url);
  if (token === undefined) return failed("missing");
  const check = await verifier.verify(token);
  if ("failure" in check) return failed(check.failure, check.detail);
  const { identity } = check;
  if (path.key !== undefined && path.key !== identity.key) return failed("key_mismatch");
  const refusal = await hookRefusal(identity);
  if (refusal !== undefined) return refusal;
  return { protocol: path.protocol, key: identity.key, identity, expiresAtMs: check.expiresAtMs };
}

function authFailure(
  reason: AuthFailure,
  detail: string | undefined,
  request: IncomingMessage,
  logger: Logger,
): Refusal {
  logger.info({ reason, detail, url: withoutToken(request.url) }, "auth failure");
  return REFUSALS[reason];
}

/** The query parameter an upgrade reads its token from when it has no Authorization header. */
export const TOKEN_PARAMETER = "token";

/** The token of an upgrade: `Authorization: Bearer TOKEN`, else the `token` query parameter. */
function upgradeToken(request: IncomingMessage, url: URL | undefined): string | undefined {
  const bearer = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? "")?.[1];
  if (bearer !== undefined) return bearer;
  const query = url?.searchParams.get(TOKEN_PARAMETER);
  return query === null || query === "" ? undefined : query;
}

/**
 * A request's path and query for log lines: the value of every parameter whose name, decoded as the token
 * is read (`tok%65n` is `token`), shows as `hidden`. A URL that cannot be parsed loses its query.
 */
export function withoutToken(url: string | undefined): string | undefined {
  if (url === undefined) return url;
  const parsed = requestUrl(url);
  if (parsed === undefined) return url.replace(/[?#].*$/s, "");
  const { pathname, searchParams } = parsed;
  if (!searchParams.has(TOKEN_PARAMETER)) return pathname + parsed.search;
  const shown = [...searchParams].map(([name, value]): [string, string] => [
    name,
    name === TOKEN_PARAMETER ? "hidden" : value,
  ]);
  return `${pathname}?${new URLSearchParams(shown)}`;
}
