import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ChannelFeatures } from "./core/channel-features.js";
import { Permissions } from "./core/permissions.js";
import type { LogLevel } from "./log.js";
import {
  API_DEFAULTS,
  AUTH_DEFAULTS,
  DEFAULTS,
  JWT_ALGORITHMS,
  MAX_TIMER_MS,
  REDIS_DEFAULTS,
  type WestOptions,
} from "./options.js";

/**
 * One configurable option. Its env and flag names derive from `key` (see `envName`, `optionFlag`), and the
 * README's configuration table is rendered from these specs (`renderConfigTable`).
 */
export type OptionSpec = {
  /** The config file key: a field of WestOptions, or a dotted path into a nested one (`redis.cluster`). */
  key: keyof WestOptions | `${string}.${string}`;
  description: string;
  default?: string | number | boolean;
  /** The flag's name when it is not the one derived from the key (`redis.url` is `--redis`). */
  flag?: string;
  /** The value may hold a password: error messages do not show it. */
  secret?: boolean;
} & ValueType;

type ValueType =
  | { type: "integer"; min: number; max: number }
  /** Non-empty; `forbidden` lists characters it must not contain. */
  | { type: "string"; forbidden?: string }
  | { type: "boolean" }
  | { type: "choice"; choices: readonly string[] }
  /** A URL with one of these schemes (`redis:`). */
  | { type: "url"; protocols: readonly string[] }
  /** One or more `host:port`, comma-separated in env and flags; a JSON array or that string in a file. */
  | { type: "addresses" }
  /**
   * Zero or more items matching `pattern` (`items` names them, plural), comma-separated in env and flags; a JSON
   * array or that string in a file.
   */
  | { type: "list"; items: string; pattern: RegExp }
  /** A module path, resolved relative to the config file; its default export is the value. Config file only. */
  | { type: "module" }
  /** A file path; in a config file, relative to the file. */
  | { type: "path" }
  /** One or more of `choices`, comma-separated in env and flags; a JSON array or that string in a file. */
  | { type: "choices"; choices: readonly string[] }
  /** A JSON value that `check` accepts (it throws a TypeError saying what is wrong). Config file only. */
  | { type: "json"; shape: string; check: (value: unknown) => void };

/** A checked value: module paths are strings until loaded, addresses and lists a list, json values as parsed. */
type Value = string | number | boolean | string[] | object;

export const LOG_LEVELS = Object.keys({
  fatal: true,
  error: true,
  warn: true,
  info: true,
  debug: true,
  trace: true,
  silent: true,
} satisfies Record<LogLevel, true>);

const DISTS = Object.keys({ local: true, redis: true } satisfies Record<
  NonNullable<WestOptions["dist"]>,
  true
>);

export const OPTION_SPECS: readonly OptionSpec[] = [
  {
    key: "port",
    type: "integer",
    min: 0,
    max: 65535,
    default: DEFAULTS.port,
    description: "HTTP and WebSocket port; 0 picks a free one.",
  },
  { key: "host", type: "string", default: DEFAULTS.host, description: "Address to listen on." },
  {
    key: "listenBacklog",
    type: "integer",
    min: 1,
    max: 65535,
    default: DEFAULTS.listenBacklog,
    description:
      "Connections the kernel holds for the node before it accepts them (Linux caps it at " +
      "`net.core.somaxconn`); beyond it, a connection waits for its SYN to be retried (1 s, 3 s...).",
  },
  {
    key: "tls.cert",
    type: "path",
    description:
      "Serve `https://` and `wss://`: the certificate chain (PEM file; in a config file: relative to it), with " +
      "`tls.key`. Both files are read again on SIGHUP; open connections stay.",
  },
  {
    key: "tls.key",
    type: "path",
    description: "The private key (unencrypted PEM file) of `tls.cert`.",
  },
  {
    key: "path",
    type: "string",
    forbidden: "?#%\\ ",
    default: DEFAULTS.path,
    description: "Where the WebSocket endpoints are: `PATH/{text|json|pb}/:key`.",
  },
  {
    key: "httpPrefix",
    type: "string",
    forbidden: "?#%\\ ",
    description:
      "Where the other HTTP routes (web client, `/healthz`, `/metrics`, `/api/`) are: under this path " +
      "(`/west`: `/west/healthz`). Default: the root.",
  },
  {
    key: "webClient",
    type: "boolean",
    default: true,
    description: "Serve the web client (under `httpPrefix`); `false` turns it off.",
  },
  {
    key: "healthz",
    type: "boolean",
    default: true,
    description: "Serve `/healthz` (under `httpPrefix`); `false` turns it off.",
  },
  {
    key: "logLevel",
    type: "choice",
    choices: LOG_LEVELS,
    default: DEFAULTS.logLevel,
    description: "Log level of the JSON log lines (pino) on stdout.",
  },
  {
    key: "dist",
    type: "choice",
    choices: DISTS,
    default: DEFAULTS.dist,
    description:
      "Where channels live: `local` is this process only; `redis` shares them with the other nodes on the same " +
      "Redis (`redis.url`) or Redis Cluster (`redis.cluster`).",
  },
  {
    key: "commandTimeoutMs",
    type: "integer",
    min: 1,
    max: MAX_TIMER_MS,
    default: DEFAULTS.commandTimeoutMs,
    description: "A command that gets no answer within this time is answered `internal_error`.",
  },
  {
    key: "maxFrameBytes",
    type: "integer",
    min: 1,
    max: 2 ** 31 - 1,
    default: DEFAULTS.maxFrameBytes,
    description: "Largest WebSocket frame accepted; a bigger one closes that socket with 1009.",
  },
  {
    key: "keepaliveIntervalMs",
    type: "integer",
    min: 1,
    max: MAX_TIMER_MS,
    default: DEFAULTS.keepaliveIntervalMs,
    description:
      "The server pings every socket this often and drops those that did not answer the last ping.",
  },
  {
    key: "maxChannelsPerConnection",
    type: "integer",
    min: 1,
    max: 2 ** 31 - 1,
    default: DEFAULTS.maxChannelsPerConnection,
    description:
      "Registrations plus subscriptions one connection (or native client) may hold; one more is answered " +
      "`registration_failed` / `subscription_failed` and the connection stays open.",
  },
  {
    key: "maxCommandsInFlight",
    type: "integer",
    min: 1,
    max: 2 ** 31 - 1,
    default: DEFAULTS.maxCommandsInFlight,
    description:
      "Commands of one connection (or native client) that may run at once, pipelined; the ones beyond wait " +
      "their turn, in order, and are not refused.",
  },
  {
    key: "maxPendingRequests",
    type: "integer",
    min: 1,
    max: 2 ** 31 - 1,
    default: DEFAULTS.maxPendingRequests,
    description:
      "Requests of one connection (or native client) waiting for their owner's reply; one more is answered " +
      "`request_failed`.",
  },
  {
    key: "maxConnections",
    type: "integer",
    min: 1,
    max: 2 ** 31 - 1,
    default: DEFAULTS.maxConnections,
    description:
      "WebSocket connections per node; one more is accepted and closed at once with 1013 (try again later). " +
      "Native clients do not count.",
  },
  {
    key: "maxCommandsPerSecond",
    type: "integer",
    min: 0,
    max: 2 ** 31 - 1,
    default: DEFAULTS.maxCommandsPerSecond,
    description:
      "Frames per second per WebSocket (a token bucket of one second's worth, refilled continuously); one over " +
      "is answered `rate_limited`. Refusals have a bucket of the same size: when it is empty too (a burst over " +
      "two seconds' worth, or a steady rate over twice the limit), the socket is closed with 4002. 0: no limit.",
  },
  {
    key: "maxChannelBytes",
    type: "integer",
    min: 1,
    max: 65536,
    default: DEFAULTS.maxChannelBytes,
    description: "Longest channel name in UTF-8 bytes; a longer one gets the command's `*_failed` reply.",
  },
  {
    key: "maxKeyBytes",
    type: "integer",
    min: 1,
    max: 65536,
    default: DEFAULTS.maxKeyBytes,
    description:
      "Longest client key in UTF-8 bytes; a longer one is refused (WebSocket upgrade: 400; native client: TypeError).",
  },
  {
    key: "allowedOrigins",
    type: "list",
    items: "origins (`scheme://host[:port]`) or `*`",
    pattern: /^(?:\*|[a-z][a-z\d+.-]*:\/\/[^\s/,]+\/?)$/i,
    description:
      "Origins (`https://host[:port]`) whose browser pages may open WebSockets besides the node's own (the " +
      "Host header with the scheme of the connection: https over TLS or when the first `X-Forwarded-Proto` is " +
      "`https`, else http); `*` allows any. None (the default): same origin only. Other origins are refused " +
      "with 403; requests without an Origin header (not browsers) are always allowed.",
  },
  {
    key: "slowConsumerBytes",
    type: "integer",
    min: 1,
    max: 2 ** 31 - 1,
    default: DEFAULTS.slowConsumerBytes,
    description:
      "A delivery that would take a socket's queued outgoing bytes past this closes it with 4001 `slow` " +
      "(slow consumer); the publisher and the other subscribers never wait for it.",
  },
  {
    key: "slowConsumerStallMs",
    type: "integer",
    min: 10,
    max: MAX_TIMER_MS,
    default: DEFAULTS.slowConsumerStallMs,
    description:
      "A socket whose queued outgoing bytes do not move for this long is closed with 4001 `slow`; a socket so " +
      "closed that does not read its backlog within this time is dropped.",
  },
  {
    key: "metrics",
    type: "boolean",
    default: DEFAULTS.metrics,
    description:
      "Serve Prometheus metrics (`west_*` and the process's) at `/metrics` (under `httpPrefix`); `false` turns " +
      "it off.",
  },
  {
    key: "handshake",
    type: "module",
    description:
      "Path of a module, relative to the config file, whose default export decides each WebSocket upgrade " +
      "(it gets the HTTP request): `true` accepts, `{status, body}` refuses with that HTTP status, anything " +
      "else refuses with 401. May be async. With auth on, it runs after the token check and gets the verified " +
      "identity `{key, claims}` as its second argument.",
  },
  {
    key: "handshakeTimeoutMs",
    type: "integer",
    min: 1,
    max: MAX_TIMER_MS,
    default: DEFAULTS.handshakeTimeoutMs,
    description:
      "A WebSocket upgrade not decided within this time (the node still joining its distribution layer, a slow " +
      "token check or handshake hook) is refused with 503 and a plain-text body saying what it waited for.",
  },
  {
    key: "api.key",
    type: "string",
    secret: true,
    description:
      "Turns on the HTTP API for backends (`POST /api/COMMAND` with `Authorization: apikey KEY`). Prefer the env " +
      "variable: a flag shows in process lists.",
  },
  {
    key: "admin.password",
    type: "string",
    secret: true,
    description:
      "The admin dashboard's password (`/admin`); without it, `api.key` is, and without either the dashboard is " +
      "off. Prefer the env variable: a flag shows in process lists.",
  },
  {
    key: "api.bodyTimeoutMs",
    type: "integer",
    min: 1,
    max: 2 ** 31 - 1,
    default: API_DEFAULTS.bodyTimeoutMs,
    description: "An HTTP API request whose body has not arrived within this time is answered 408.",
  },
  {
    key: "auth.jwtSecret",
    type: "string",
    secret: true,
    description:
      "Turns on connection tokens (JWT) signed with this shared secret (HS256, HS384, HS512; at least 32 bytes). " +
      "The token's `sub` is the client's key. Instead of `auth.jwtPublicKey` or `auth.jwtPublicKeyFile`.",
  },
  {
    key: "auth.jwtPublicKey",
    type: "string",
    description:
      "Turns on connection tokens (JWT) signed with a private key: the public key, PEM (SPKI, " +
      "`-----BEGIN PUBLIC KEY-----`; `\\n` escapes count as newlines). RSA (RS*, PS*), EC P-256/384/521 " +
      "(ES256/384/512) or Ed25519 (EdDSA).",
  },
  {
    key: "auth.jwtPublicKeyFile",
    type: "path",
    description: "As `auth.jwtPublicKey`, read from this PEM file (in a config file: relative to it).",
  },
  {
    key: "auth.algorithms",
    type: "choices",
    choices: JWT_ALGORITHMS,
    description: "The signature algorithms accepted; default: every one that fits the key.",
  },
  {
    key: "auth.issuer",
    type: "string",
    description: "With auth on: tokens must have this `iss` claim.",
  },
  {
    key: "auth.audience",
    type: "string",
    description: "With auth on: tokens must have this `aud` claim (or list it).",
  },
  {
    key: "auth.requireExp",
    type: "boolean",
    default: AUTH_DEFAULTS.requireExp,
    description:
      "With auth on: a token without an `exp` claim (one that never expires) is refused with 401 as invalid; " +
      "`false` accepts it, and its connection stays open until it closes.",
  },
  {
    key: "permissions",
    type: "json",
    shape: "permission rules",
    check: (value) => Permissions.compile(value),
    description:
      "Who may register, send, subscribe and publish on which channels: " +
      '`{"default": "deny", "rules": [...]}`. None: every command is allowed.',
  },
  {
    key: "channels",
    type: "json",
    shape: "channel rules",
    check: (value) => ChannelFeatures.compile(value),
    description:
      "History, presence and join/leave per channel pattern, the first matching rule deciding: " +
      '`[{"match": "chat.>", "history": {"size": 100, "ttlSeconds": 600}}]`. None: plain channels.',
  },
  {
    key: "redis.url",
    flag: "redis",
    type: "url",
    protocols: ["redis:", "rediss:"],
    secret: true,
    description:
      "With dist `redis`: the one Redis all nodes share (global mode), `redis://[user:password@]host:port`, " +
      "`rediss://` for TLS.",
  },
  {
    key: "redis.cluster",
    type: "addresses",
    description:
      "With dist `redis`: Redis Cluster seed nodes, `host:port,host:port` (sharded mode: channels spread over " +
      "the shards). Instead of `redis.url`.",
  },
  {
    key: "redis.username",
    type: "string",
    description: "ACL user for the Redis Cluster nodes (with `redis.url`, put it in the URL).",
  },
  {
    key: "redis.password",
    type: "string",
    secret: true,
    description: "Password for the Redis Cluster nodes (with `redis.url`, put it in the URL).",
  },
  {
    key: "redis.tls",
    type: "boolean",
    default: false,
    description: "TLS to the Redis Cluster nodes (with `redis.url`, use `rediss://`).",
  },
  {
    key: "redis.heartbeatTtlMs",
    type: "integer",
    min: 10,
    max: MAX_TIMER_MS,
    default: REDIS_DEFAULTS.heartbeatTtlMs,
    description:
      "A node renews its heartbeat in Redis well within this time; once it has expired, other nodes may take " +
      "over that node's channels, and a node that could not renew it for half this time stops answering for them.",
  },
  {
    key: "redis.ownerRecordTtlMs",
    type: "integer",
    min: 20,
    max: MAX_TIMER_MS,
    default: REDIS_DEFAULTS.ownerRecordTtlMs,
    description:
      "Owner records expire this long after their node last renewed them (it renews them three times within " +
      "it), so that the records of a node that died leave Redis. Raised to twice `redis.heartbeatTtlMs` if shorter.",
  },
  {
    key: "redis.waitReplicas",
    type: "integer",
    min: 0,
    max: 100,
    default: REDIS_DEFAULTS.waitReplicas,
    description:
      "Redis replicas that must acknowledge a registration (Redis `WAIT`) within the command timeout, " +
      "or it is withdrawn and answered `internal_error`.",
  },
  {
    key: "redis.keyPrefix",
    type: "string",
    forbidden: "{}",
    default: REDIS_DEFAULTS.keyPrefix,
    description:
      "Prefix of every Redis key and channel name WEST uses, so that several deployments can share one Redis. " +
      "No `{` or `}` (they would change the hash slots).",
  },
];

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** `commandTimeoutMs` -> `WEST_COMMAND_TIMEOUT_MS`; `redis.cluster` -> `WEST_REDIS_CLUSTER`. */
export function envName(key: string): string {
  return `WEST_${words(key).join("_").toUpperCase()}`;
}

/** `commandTimeoutMs` -> `command-timeout-ms` (the flag is `--command-timeout-ms`); `redis.cluster` -> `redis-cluster`. */
export function flagName(key: string): string {
  return words(key).join("-");
}

/** The flag of an option, without the dashes: its explicit name, or the one derived from its key. */
export function optionFlag(spec: OptionSpec): string {
  return spec.flag ?? flagName(spec.key);
}

function words(key: string): string[] {
  return key.split(".").flatMap((part) => part.split(/(?=[A-Z])/).map((word) => word.toLowerCase()));
}

/** The value of option `key` given as text (a flag, an env variable), checked; else a ConfigError. */
export function parseOptionText(key: string, raw: string, source: string): Value {
  const spec = OPTION_SPECS.find((candidate) => candidate.key === key);
  if (spec === undefined) throw new Error(`no option ${key}`);
  return textValue(spec, raw, source) as Value;
}

/** Only a config file can set it: its value is not text, or it is a path relative to the file. */
export function isFileOnly(spec: OptionSpec): boolean {
  return spec.type === "module" || spec.type === "json";
}

export const CONFIG_ENV = "WEST_CONFIG";

export interface ConfigSources {
  /** Values given as flags, by option key, as typed. */
  flags?: Readonly<Record<string, string | undefined>>;
  /** The `--config FILE` flag; without it, WEST_CONFIG from `env`. Relative to the working directory. */
  configPath?: string;
  /** The environment; only WEST_* variables are read, and an empty one counts as unset. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** WestOptions from defaults <- config file <- env <- flags, validated, with the handshake module loaded. */
export async function loadConfig(sources: ConfigSources): Promise<WestOptions> {
  const env = sources.env ?? {};
  const path = sources.configPath ?? nonEmpty(env[CONFIG_ENV]);
  const namedBy = sources.configPath !== undefined ? "flag --config" : `env ${CONFIG_ENV}`;
  const file = path === undefined ? undefined : await readConfigFile(resolve(path), namedBy);
  const values = resolveConfig({ flags: sources.flags ?? {}, env, file });
  checkRedisTarget(values);
  checkTlsPair(values);
  return toWestOptions(values);
}

/** A parsed config file: its absolute path and its JSON content. */
interface ConfigFile {
  path: string;
  content: unknown;
}

async function readConfigFile(path: string, namedBy: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path} (${namedBy}): ${(error as Error).message}`);
  }
  try {
    return { path, content: JSON.parse(text) };
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A validated value for every option that has one, by key; module options as absolute paths, not loaded. */
type ConfigValues = Map<string, Value>;

/** Applies the precedence defaults < file < env < flags. Every layer is validated, also when overridden. */
function resolveConfig(layers: {
  flags: Readonly<Record<string, string | undefined>>;
  env: Readonly<Record<string, string | undefined>>;
  file: ConfigFile | undefined;
}): ConfigValues {
  const fromFile = layers.file === undefined ? new Map() : fileValues(layers.file);
  const values: ConfigValues = new Map();
  for (const spec of OPTION_SPECS) {
    const fromEnv = textValue(spec, nonEmpty(layers.env[envName(spec.key)]), `env ${envName(spec.key)}`);
    const fromFlag = textValue(spec, layers.flags[spec.key], `flag --${optionFlag(spec)}`);
    const value = fromFlag ?? fromEnv ?? fromFile.get(spec.key) ?? spec.default;
    if (value !== undefined) values.set(spec.key, value);
  }
  return values;
}

function textValue(spec: OptionSpec, raw: string | undefined, source: string): Value | undefined {
  if (raw === undefined) return undefined;
  if (isFileOnly(spec)) throw new ConfigError(`${spec.key} can only be set in a config file (${source})`);
  switch (spec.type) {
    case "integer":
      return checked(spec, /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : raw, source, raw);
    case "boolean": {
      const word = raw.trim().toLowerCase();
      const value = word === "true" || word === "1" ? true : word === "false" || word === "0" ? false : raw;
      return checked(spec, value, source, raw);
    }
    default:
      return checked(spec, raw, source);
  }
}

function fileValues(file: ConfigFile): Map<string, Value> {
  const source = `config file ${file.path}`;
  if (!isPlainObject(file.content)) throw new ConfigError(`${source} must hold a JSON object`);
  const values = new Map<string, Value>();
  const visit = (object: Record<string, unknown>, prefix: string) => {
    for (const [name, raw] of Object.entries(object)) {
      const key = prefix + name;
      const spec = OPTION_SPECS.find((candidate) => candidate.key === key);
      if (spec !== undefined) {
        const value = checked(spec, raw, source);
        const relative = spec.type === "module" || spec.type === "path";
        values.set(key, relative ? resolve(dirname(file.path), value as string) : value);
      } else if (
        isPlainObject(raw) &&
        OPTION_SPECS.some((candidate) => candidate.key.startsWith(`${key}.`))
      ) {
        visit(raw, `${key}.`);
      } else {
        throw new ConfigError(`unknown key ${JSON.stringify(key)} (${source})`);
      }
    }
  };
  visit(file.content, "");
  return values;
}

/** The value when it fits the spec (addresses as a list), else a ConfigError naming the key and the source. */
function checked(spec: OptionSpec, value: unknown, source: string, given = value): Value {
  const fail = (expected: string): never => {
    const got = spec.secret ? "something else (not shown: it may hold a password)" : JSON.stringify(given);
    throw new ConfigError(`invalid ${spec.key} (${source}): expected ${expected}, got ${got}`);
  };
  switch (spec.type) {
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value) || value < spec.min || value > spec.max)
        return fail(`an integer from ${spec.min} to ${spec.max}`);
      return value;
    case "choice":
      if (typeof value !== "string" || !spec.choices.includes(value))
        return fail(`one of ${spec.choices.join(", ")}`);
      return value;
    case "boolean":
      if (typeof value !== "boolean") return fail("true or false");
      return value;
    case "string":
    case "module":
    case "path":
      if (typeof value !== "string" || value.trim() === "") return fail("a non-empty string");
      if (spec.type === "string" && [...(spec.forbidden ?? "")].some((char) => value.includes(char)))
        return fail(`a non-empty string without ${[...(spec.forbidden ?? "")].join(" or ")}`);
      return value;
    case "url": {
      const expected = `a URL starting ${spec.protocols.map((protocol) => `${protocol}//`).join(" or ")}`;
      if (typeof value !== "string") return fail(expected);
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        return fail(expected);
      }
      if (!spec.protocols.includes(url.protocol) || url.hostname === "") return fail(expected);
      return value;
    }
    case "addresses": {
      const expected = "one or more host:port, comma-separated (or a JSON array of them in a config file)";
      const list =
        typeof value === "string"
          ? value.split(",").map((item) => item.trim())
          : Array.isArray(value) && value.length > 0
            ? value
            : undefined;
      if (list === undefined || !list.every(isHostPort)) return fail(expected);
      return list as string[];
    }
    case "list": {
      const expected = `${spec.items}, comma-separated (or a JSON array of them in a config file)`;
      const list = typeof value === "string" ? value.split(",").map((item) => item.trim()) : value;
      if (!Array.isArray(list) || !list.every((item) => typeof item === "string" && spec.pattern.test(item)))
        return fail(expected);
      return list as string[];
    }
    case "choices": {
      const list = typeof value === "string" ? value.split(",").map((item) => item.trim()) : value;
      if (!Array.isArray(list) || list.length === 0 || !list.every((item) => spec.choices.includes(item)))
        return fail(`one or more of ${spec.choices.join(", ")}, comma-separated (or a JSON array)`);
      return list as string[];
    }
    case "json":
      try {
        spec.check(value);
      } catch (error) {
        throw new ConfigError(`invalid ${spec.key} (${source}): ${(error as Error).message}`);
      }
      return value as object;
  }
}

/** `host:port` or `[ipv6]:port`, port 1-65535. */
function isHostPort(item: unknown): boolean {
  if (typeof item !== "string") return false;
  const match = /^(?:\[[0-9A-Fa-f:.]+\]|[^\s:,[\]]+):(\d{1,5})$/.exec(item);
  return match !== null && Number(match[1]) >= 1 && Number(match[1]) <= 65535;
}

/** With dist `redis`, exactly one of `redis.url` and `redis.cluster` says where Redis is. */
function checkRedisTarget(values: ConfigValues): void {
  if (values.get("dist") !== "redis") return;
  const url = values.has("redis.url");
  const cluster = values.has("redis.cluster");
  const names = (key: string) => {
    const spec = OPTION_SPECS.find((candidate) => candidate.key === key) as OptionSpec;
    return `${key} (--${optionFlag(spec)}, ${envName(key)})`;
  };
  if (!url && !cluster)
    throw new ConfigError(`dist redis needs ${names("redis.url")} or ${names("redis.cluster")}`);
  if (url && cluster)
    throw new ConfigError(
      "dist redis takes either redis.url (one Redis) or redis.cluster (Redis Cluster), not both",
    );
}

function checkTlsPair(values: ConfigValues): void {
  if (values.has("tls.cert") !== values.has("tls.key"))
    throw new ConfigError(
      "TLS needs both tls.cert (--tls-cert, WEST_TLS_CERT) and tls.key (--tls-key, WEST_TLS_KEY)",
    );
}

async function toWestOptions(values: ConfigValues): Promise<WestOptions> {
  const options: Record<string, unknown> = {};
  for (const spec of OPTION_SPECS) {
    const value = values.get(spec.key);
    if (value === undefined) continue;
    setPath(options, spec.key, spec.type === "module" ? await loadModule(spec, value as string) : value);
  }
  // The spec table describes WestOptions' configurable fields and every value was checked against it.
  return options as WestOptions;
}

async function loadModule(spec: OptionSpec, path: string): Promise<unknown> {
  let module: { default?: unknown };
  try {
    module = await import(pathToFileURL(path).href);
  } catch (error) {
    throw new ConfigError(`cannot load ${spec.key} module ${path}: ${(error as Error).message}`);
  }
  if (typeof module.default !== "function") {
    throw new ConfigError(`${spec.key} module ${path} must have a function as its default export`);
  }
  return module.default;
}

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  const last = parts.pop() as string;
  let object = target;
  for (const part of parts) {
    const next = object[part];
    object[part] = isPlainObject(next) ? next : {};
    object = object[part] as Record<string, unknown>;
  }
  object[last] = value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** The README's configuration table (markdown), one row per option. */
export function renderConfigTable(): string {
  const rows = OPTION_SPECS.map((spec) => {
    const fileOnly = isFileOnly(spec);
    return [
      `\`${spec.key}\``,
      fileOnly ? "-" : `\`${envName(spec.key)}\``,
      fileOnly ? "-" : `\`--${optionFlag(spec)}\``,
      typeText(spec),
      spec.default === undefined ? "none" : `\`${spec.default}\``,
      spec.description,
    ];
  });
  const header = ["config key", "env", "flag", "type", "default", "description"];
  return [header, header.map(() => "---"), ...rows]
    .map((cells) => `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`)
    .join("\n");
}

function typeText(spec: OptionSpec): string {
  switch (spec.type) {
    case "integer":
      return `integer ${spec.min}-${spec.max}`;
    case "choice":
      return spec.choices.map((choice) => `\`${choice}\``).join(", ");
    case "string":
      return spec.forbidden === undefined ? "string" : `string without ${[...spec.forbidden].join(" ")}`;
    case "boolean":
      return "`true`, `false`";
    case "url":
      return `URL (${spec.protocols.map((protocol) => `\`${protocol}//\``).join(", ")})`;
    case "addresses":
      return "list of host:port";
    case "list":
      return `list of ${spec.items}`;
    case "module":
      return "module path (config file only)";
    case "path":
      return "file path";
    case "choices":
      return `list of ${spec.choices.join(", ")}`;
    case "json":
      return `${spec.shape} (config file only)`;
  }
}
