import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { LogLevel } from "./log.js";
import { DEFAULTS, type WestOptions } from "./options.js";

/**
 * One configurable option. Its env and flag names derive from `key` (see `envName`, `flagName`), and the
 * README's configuration table is rendered from these specs (`renderConfigTable`).
 */
export type OptionSpec = {
  /** The config file key: a field of WestOptions, or a dotted path into a nested one (`redis.cluster`). */
  key: keyof WestOptions | `${string}.${string}`;
  description: string;
  default?: string | number;
} & ValueType;

type ValueType =
  | { type: "integer"; min: number; max: number }
  | { type: "string" }
  | { type: "choice"; choices: readonly string[] }
  /** A module path, resolved relative to the config file; its default export is the value. Config file only. */
  | { type: "module" };

const LOG_LEVELS = Object.keys({
  fatal: true,
  error: true,
  warn: true,
  info: true,
  debug: true,
  trace: true,
  silent: true,
} satisfies Record<LogLevel, true>);

const DISTS = Object.keys({ local: true } satisfies Record<NonNullable<WestOptions["dist"]>, true>);

/** Node's timers fire at once when given a longer delay than this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
    description: "Where channels live: `local` is this process only.",
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
    key: "handshake",
    type: "module",
    description:
      "Path of a module, relative to the config file, whose default export decides each WebSocket upgrade " +
      "(it gets the HTTP request): `true` accepts, `{status, body}` refuses with that HTTP status, anything " +
      "else refuses with 401. May be async.",
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

function words(key: string): string[] {
  return key.split(".").flatMap((part) => part.split(/(?=[A-Z])/).map((word) => word.toLowerCase()));
}

/** Only a config file can set it: its value is not text, or it is a path relative to the file. */
export function isFileOnly(spec: OptionSpec): boolean {
  return spec.type === "module";
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
type ConfigValues = Map<string, string | number>;

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
    const fromFlag = textValue(spec, layers.flags[spec.key], `flag --${flagName(spec.key)}`);
    const value = fromFlag ?? fromEnv ?? fromFile.get(spec.key) ?? spec.default;
    if (value !== undefined) values.set(spec.key, value);
  }
  return values;
}

function textValue(spec: OptionSpec, raw: string | undefined, source: string): string | number | undefined {
  if (raw === undefined) return undefined;
  if (isFileOnly(spec)) throw new ConfigError(`${spec.key} can only be set in a config file (${source})`);
  if (spec.type !== "integer") return checked(spec, raw, source);
  return checked(spec, /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : raw, source, raw);
}

function fileValues(file: ConfigFile): Map<string, string | number> {
  const source = `config file ${file.path}`;
  if (!isPlainObject(file.content)) throw new ConfigError(`${source} must hold a JSON object`);
  const values = new Map<string, string | number>();
  const visit = (object: Record<string, unknown>, prefix: string) => {
    for (const [name, raw] of Object.entries(object)) {
      const key = prefix + name;
      const spec = OPTION_SPECS.find((candidate) => candidate.key === key);
      if (spec !== undefined) {
        const value = checked(spec, raw, source);
        values.set(key, spec.type === "module" ? resolve(dirname(file.path), value as string) : value);
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

/** The value itself when it fits the spec, else a ConfigError naming the key and the source. */
function checked(spec: OptionSpec, value: unknown, source: string, given = value): string | number {
  const fail = (expected: string): never => {
    throw new ConfigError(
      `invalid ${spec.key} (${source}): expected ${expected}, got ${JSON.stringify(given)}`,
    );
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
    case "string":
    case "module":
      if (typeof value !== "string" || value.trim() === "") return fail("a non-empty string");
      return value;
  }
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
      fileOnly ? "-" : `\`--${flagName(spec.key)}\``,
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
      return "string";
    case "module":
      return "module path (config file only)";
  }
}
