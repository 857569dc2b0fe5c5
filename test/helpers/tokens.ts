import { type JWTPayload, SignJWT } from "jose";

/** A signing key as jose takes it: a CryptoKey or a Node KeyObject. */
type SigningKey = Exclude<Parameters<SignJWT["sign"]>[0], Uint8Array>;

/** A shared secret long enough for HS256 (32 bytes). */
export const TEST_SECRET = "a test secret of at least 32 bytes!";

export interface TokenSpec {
  sub?: string;
  /** Seconds from now (negative: already expired); default 600; null: no exp claim. */
  expiresIn?: number | null;
  claims?: JWTPayload;
  alg?: string;
}

/** A signed JWT: HMAC with a string secret, else with the private key. */
export function token(
  key: string | SigningKey,
  { sub, expiresIn = 600, claims = {}, alg }: TokenSpec,
): Promise<string> {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: alg ?? (typeof key === "string" ? "HS256" : "RS256") })
    .setIssuedAt();
  if (sub !== undefined) jwt.setSubject(sub);
  if (expiresIn !== null) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresIn);
  return jwt.sign(typeof key === "string" ? new TextEncoder().encode(key) : key);
}
