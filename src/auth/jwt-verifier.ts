import { createPublicKey, type KeyObject, webcrypto } from "node:crypto";
import { readFile } from "node:fs/promises";
import { errors, type JWSHeaderParameters, jwtVerify } from "jose";
import { ConfigError } from "../config.js";
import { isValidKey } from "../core/names.js";
import { AUTH_DEFAULTS, type AuthOptions, type JwtAlgorithm, type VerifiedIdentity } from "../options.js";

/** Why a token was not accepted. */
export type TokenFailure = "invalid" | "expired";

export type TokenCheck =
  | { identity: VerifiedIdentity /** When the token expires (its `exp`), epoch ms. */; expiresAtMs?: number }
  /** `detail`: more about the failure, for the log line (never the token's content). */
  | { failure: TokenFailure; detail?: string };

export interface TokenVerifier {
  /**
   * Checks signature, algorithm, `exp`/`nbf`, issuer and audience, that `sub` is a valid client key and, unless
   * `auth.requireExp` is false, that there is an `exp`.
   */
  verify(token: string): Promise<TokenCheck>;
}

/** RFC 7518 3.2: an HMAC key must be at least as long as the hash output. */
const MIN_SECRET_BYTES = 32;

/** The verifier that `auth` asks for, or undefined when auth is off; a ConfigError for a bad key. */
export async function createTokenVerifier(
  auth: AuthOptions | undefined,
  maxKeyBytes: number,
): Promise<TokenVerifier | undefined> {
  const given = (["jwtSecret", "jwtPublicKey", "jwtPublicKeyFile"] as const).filter(
    (name) => auth?.[name] !== undefined,
  );
  if (auth === undefined || given.length === 0) return undefined;
  if (given.length > 1)
    throw new ConfigError(
      `auth takes one of jwtSecret, jwtPublicKey, jwtPublicKeyFile, got ${given.join(", ")}`,
    );
  const { key, fits, kind } = await loadKey(auth);
  const algorithms = auth.algorithms ?? fits;
  const misfits = algorithms.filter((algorithm) => !fits.includes(algorithm));
  if (algorithms.length === 0 || misfits.length > 0)
    throw new ConfigError(
      `auth.algorithms ${misfits.join(", ") || "(none)"} do not fit ${kind}; it takes ${fits.join(", ")}`,
    );
  const requireExp = auth.requireExp ?? AUTH_DEFAULTS.requireExp;
  const options = {
    algorithms,
    issuer: auth.issuer,
    audience: auth.audience,
    requiredClaims: requireExp ? ["exp"] : [],
  };
  const keyFor = key instanceof Uint8Array ? hmacKeys(key) : () => key;
  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keyFor, options);
        if (!isValidKey(payload.sub, maxKeyBytes)) return { failure: "invalid" };
        const identity = { key: payload.sub, claims: payload };
        return payload.exp === undefined ? { identity } : { identity, expiresAtMs: payload.exp * 1000 };
      } catch (error) {
        if (error instanceof errors.JWTExpired) return { failure: "expired" };
        const noExp =
          error instanceof errors.JWTClaimValidationFailed &&
          error.claim === "exp" &&
          error.reason === "missing";
        return noExp
          ? { failure: "invalid", detail: "exp missing (auth.requireExp)" }
          : { failure: "invalid" };
      }
    },
  };
}

/**
 * The secret as a WebCrypto key per HMAC algorithm, imported once: given the raw bytes, jose imports them again
 * for every token, which was the largest cost of an upgrade with a token in a reconnect storm. jose checks the
 * header's `alg` against `algorithms` before it asks for the key.
 */
function hmacKeys(
  secret: Uint8Array,
): (header: JWSHeaderParameters) => Promise<webcrypto.CryptoKey | Uint8Array> {
  const imported = new Map<string, Promise<webcrypto.CryptoKey>>();
  return ({ alg }) => {
    const bits = /^HS(256|384|512)$/.exec(alg ?? "")?.[1];
    if (bits === undefined) return Promise.resolve(secret);
    let key = imported.get(bits);
    if (key === undefined) {
      key = webcrypto.subtle.importKey("raw", secret, { name: "HMAC", hash: `SHA-${bits}` }, false, [
        "verify",
      ]);
      imported.set(bits, key);
    }
    return key;
  };
}

interface LoadedKey {
  key: KeyObject | Uint8Array;
  /** The algorithms this key can verify. */
  fits: JwtAlgorithm[];
  /** The key, in words, for error messages. */
  kind: string;
}

async function loadKey(auth: AuthOptions): Promise<LoadedKey> {
  if (auth.jwtSecret !== undefined) {
    const secret = new TextEncoder().encode(auth.jwtSecret);
    if (secret.length < MIN_SECRET_BYTES)
      throw new ConfigError(`auth.jwtSecret must be at least ${MIN_SECRET_BYTES} bytes (RFC 7518)`);
    return { key: secret, fits: ["HS256", "HS384", "HS512"], kind: "a shared secret" };
  }
  if (auth.jwtPublicKey !== undefined) return publicKey(auth.jwtPublicKey, "auth.jwtPublicKey");
  const path = auth.jwtPublicKeyFile as string;
  let pem: string;
  try {
    pem = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read auth.jwtPublicKeyFile ${path}: ${(error as Error).message}`);
  }
  return publicKey(pem, `auth.jwtPublicKeyFile ${path}`);
}

function publicKey(text: string, source: string): LoadedKey {
  // An environment variable often cannot hold newlines: `\n` escapes stand for them.
  const pem = text.includes("\n") ? text : text.replaceAll("\\n", "\n");
  if (pem.includes("PRIVATE KEY"))
    throw new ConfigError(`${source} holds a private key: give the public key`);
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new ConfigError(`${source} is not a PEM public key: ${(error as Error).message}`);
  }
  const fits = algorithmsFor(key);
  if (fits.length === 0)
    throw new ConfigError(`${source}: unsupported key type ${key.asymmetricKeyType ?? "unknown"}`);
  return { key, fits, kind: `this ${key.asymmetricKeyType} public key` };
}

const EC_CURVES = new Map<string, JwtAlgorithm>([
  ["prime256v1", "ES256"],
  ["secp384r1", "ES384"],
  ["secp521r1", "ES512"],
]);

function algorithmsFor(key: KeyObject): JwtAlgorithm[] {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"];
    case "rsa-pss":
      return ["PS256", "PS384", "PS512"];
    case "ec": {
      const algorithm = EC_CURVES.get(key.asymmetricKeyDetails?.namedCurve ?? "");
      return algorithm === undefined ? [] : [algorithm];
    }
    case "ed25519":
      return ["EdDSA"];
    default:
      return [];
  }
}
