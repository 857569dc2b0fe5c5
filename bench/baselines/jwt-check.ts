import { jwtVerify } from "jose";

/**
 * The baselines' opt-in connection tokens, checked as WEST checks them (`auth.jwtSecret`): an HS256 JWT in the
 * `token` query parameter, verified with jose, `exp` required, its `sub` the client's key. Off without a secret.
 */
export interface BaselineAuth {
  /** The shared HS256 secret; none: every client is let in. */
  jwtSecret?: string;
}

/** The `token` query parameter of a request URL (path and query), or undefined. */
export function queryToken(url: string | undefined): string | undefined {
  const query = url?.indexOf("?") ?? -1;
  if (url === undefined || query < 0) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get("token") ?? undefined;
}

/** A check that resolves to a token's subject when the token is valid, else to undefined. */
export function tokenSubject(jwtSecret: string): (token: unknown) => Promise<string | undefined> {
  const key = new TextEncoder().encode(jwtSecret);
  return async (token) => {
    if (typeof token !== "string" || token === "") return undefined;
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp"] });
      return typeof payload.sub === "string" ? payload.sub : undefined;
    } catch {
      return undefined;
    }
  };
}
