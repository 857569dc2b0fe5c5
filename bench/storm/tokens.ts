import { SignJWT } from "jose";

/** The HS256 secret of the auth-on runs: loopback only, never a secret. */
export const STORM_JWT_SECRET = "west-bench-storm-jwt-secret-loopback-only";

/** Tokens outlive the longest section: a case runs minutes, not hours. */
const TOKEN_LIFETIME = "6h";

/** A token per key (HS256, `sub` the key, with `exp`), signed before any storm so that signing is not measured. */
export async function signTokens(keys: string[]): Promise<string[]> {
  const secret = new TextEncoder().encode(STORM_JWT_SECRET);
  return Promise.all(
    keys.map((key) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "HS256" })
        .setSubject(key)
        .setIssuedAt()
        .setExpirationTime(TOKEN_LIFETIME)
        .sign(secret),
    ),
  );
}
