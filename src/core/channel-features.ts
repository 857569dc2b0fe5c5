import { createHash } from "node:crypto";
import { type ChannelPattern, compilePattern, matchesPattern } from "./channel-pattern.js";

/** History of a channel: at least its last `size` publications, until `ttlSeconds` after its last publish. */
export interface HistoryConfig {
  readonly size: number;
  readonly ttlSeconds: number;
}

/** One item of the `channels` option, as written in the config. */
export interface ChannelRule {
  /** A channel pattern (`*` one segment, `>` the rest), without placeholders. */
  match: string;
  history?: { size: number; ttlSeconds: number };
  presence?: boolean;
  joinLeave?: boolean;
}

/** What a channel has beyond plain publish/subscribe. */
export interface Features {
  readonly history: HistoryConfig | undefined;
  readonly presence: boolean;
  readonly joinLeave: boolean;
}

export const NO_FEATURES: Features = Object.freeze({ history: undefined, presence: false, joinLeave: false });

/** Largest `history.size`: a replay is sent at once, and Redis keeps the whole stream in memory. */
export const MAX_HISTORY_SIZE = 10_000;
/** Longest `history.ttlSeconds`: 30 days. */
export const MAX_HISTORY_TTL_SECONDS = 30 * 24 * 3600;
/** Channels whose features are remembered; past it the memo starts again (rules are cheap to match). */
const MEMO_SIZE = 10_000;

interface CompiledRule {
  readonly pattern: ChannelPattern;
  readonly features: Features;
}

const NO_SUBJECT = { key: "", claims: undefined };

/**
 * The `channels` option: the first rule whose pattern matches a channel decides its features; a channel no rule
 * matches has none. `hash` identifies the rules, so that nodes with different ones can refuse to work together.
 */
export class ChannelFeatures {
  private readonly memo = new Map<string, Features>();

  private constructor(
    private readonly rules: readonly CompiledRule[],
    readonly hash: string,
  ) {}

  static readonly NONE = new ChannelFeatures([], hashOf([]));

  /** Validates and compiles `config` (a parsed JSON value); a TypeError naming the faulty rule otherwise. */
  static compile(config: unknown): ChannelFeatures {
    if (!Array.isArray(config)) throw new TypeError("channels must be an array of rules");
    const written: ChannelRule[] = [];
    const rules = config.map((raw, i) => {
      const where = `channels[${i}]`;
      const rule = compileRule(raw, where);
      written.push(canonical(raw as ChannelRule, rule));
      return rule;
    });
    return rules.length === 0 ? ChannelFeatures.NONE : new ChannelFeatures(rules, hashOf(written));
  }

  /** Whether any rule turns on presence or join/leave notices. */
  get anyPresence(): boolean {
    return this.rules.some((rule) => rule.features.presence || rule.features.joinLeave);
  }

  /** Whether any rule turns on history (a node then checks its Redis for it at startup). */
  get anyHistory(): boolean {
    return this.rules.some((rule) => rule.features.history !== undefined);
  }

  of(channel: string): Features {
    if (this.rules.length === 0) return NO_FEATURES;
    let features = this.memo.get(channel);
    if (features !== undefined) return features;
    features = NO_FEATURES;
    for (const rule of this.rules)
      if (matchesPattern(rule.pattern, channel, NO_SUBJECT)) {
        features = rule.features;
        break;
      }
    if (this.memo.size >= MEMO_SIZE) this.memo.clear();
    this.memo.set(channel, features);
    return features;
  }
}

function compileRule(raw: unknown, where: string): CompiledRule {
  const rule = plainObject(raw, where, ["match", "history", "presence", "joinLeave"]);
  let pattern: ChannelPattern;
  try {
    pattern = compilePattern(rule.match);
  } catch (error) {
    throw new TypeError(`${where}.match: ${(error as Error).message}`);
  }
  if (
    pattern.segments.some(
      (segment) => typeof segment !== "string" && segment.some((p) => typeof p !== "string"),
    )
  )
    throw new TypeError(
      `${where}.match: a channel rule has no placeholders ({key}, {claims...}): it is the same for every client`,
    );
  return {
    pattern,
    features: Object.freeze({
      history: rule.history === undefined ? undefined : historyOf(rule.history, `${where}.history`),
      presence: flag(rule.presence, `${where}.presence`),
      joinLeave: flag(rule.joinLeave, `${where}.joinLeave`),
    }),
  };
}

function historyOf(raw: unknown, where: string): HistoryConfig {
  const history = plainObject(raw, where, ["size", "ttlSeconds"]);
  return Object.freeze({
    size: integer(history.size, `${where}.size`, 1, MAX_HISTORY_SIZE),
    ttlSeconds: integer(history.ttlSeconds, `${where}.ttlSeconds`, 1, MAX_HISTORY_TTL_SECONDS),
  });
}

function integer(raw: unknown, where: string, min: number, max: number): number {
  if (typeof raw !== "number" || !Number.isInteger(raw) || raw < min || raw > max)
    throw new TypeError(`${where} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  return raw;
}

function flag(raw: unknown, where: string): boolean {
  if (raw === undefined) return false;
  if (typeof raw !== "boolean")
    throw new TypeError(`${where} must be true or false, got ${JSON.stringify(raw)}`);
  return raw;
}

function plainObject(raw: unknown, where: string, known: readonly string[]): Record<string, unknown> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new TypeError(`${where} must be a JSON object`);
  const object = raw as Record<string, unknown>;
  for (const name of Object.keys(object))
    if (!known.includes(name))
      throw new TypeError(`unknown key ${JSON.stringify(name)} in ${where}: use ${known.join(", ")}`);
  return object;
}

/** The rule as it acts, with defaults filled in: two configs that act alike hash alike. */
function canonical(raw: ChannelRule, rule: CompiledRule): ChannelRule {
  const { history, presence, joinLeave } = rule.features;
  return {
    match: raw.match,
    ...(history === undefined ? {} : { history: { size: history.size, ttlSeconds: history.ttlSeconds } }),
    presence,
    joinLeave,
  };
}

function hashOf(rules: readonly ChannelRule[]): string {
  return createHash("sha256").update(JSON.stringify(rules)).digest("hex").slice(0, 16);
}
