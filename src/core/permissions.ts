import {
  type ChannelPattern,
  claimAt,
  compilePattern,
  matchesPattern,
  type PatternSubject,
} from "./channel-pattern.js";
import { isValidKey } from "./names.js";

/** The commands that permission rules govern; unregister, unsubscribe and ping are always allowed. */
export const GUARDED_ACTIONS = ["register", "send", "subscribe", "publish"] as const;
export type GuardedAction = (typeof GUARDED_ACTIONS)[number];

export type ClaimValue = string | number | boolean;

/** One rule as written in the config (the `permissions.rules` items). */
export interface PermissionRule {
  /** The commands it is about. */
  actions: GuardedAction[];
  /** Channel patterns (see channel-pattern.ts): one, or a list of which any may match. */
  channels: string | string[];
  /** "allow" (the default) or "deny". */
  effect?: "allow" | "deny";
  /** Only for these client keys. */
  keys?: string[];
  /** Only for clients whose token has these claims: equal to the value, or an array containing it. */
  claims?: Record<string, ClaimValue>;
}

/** The `permissions` option: rules are tried in order, the first that matches decides; else `default`. */
export interface PermissionsConfig {
  /** What happens when no rule matches. Default "deny". */
  default?: "allow" | "deny";
  rules: PermissionRule[];
}

interface CompiledRule {
  readonly allow: boolean;
  readonly channels: readonly ChannelPattern[];
  readonly keys: ReadonlySet<string> | undefined;
  readonly claims: readonly (readonly [path: readonly string[], value: ClaimValue])[];
}

/** Who asks: a client's key and its token's claims. */

/** The compiled rules, indexed by action; deciding allocates nothing. */
export class Permissions {
  private constructor(
    private readonly byAction: Readonly<Record<GuardedAction, readonly CompiledRule[]>>,
    private readonly allowByDefault: boolean,
  ) {}

  /** Validates and compiles `config` (a parsed JSON value); a TypeError naming the faulty part otherwise. */
  static compile(config: unknown): Permissions {
    const where = "permissions";
    const object = plainObject(config, where, ["default", "rules"]);
    const fallback = object.default ?? "deny";
    if (fallback !== "allow" && fallback !== "deny")
      throw new TypeError(`${where}.default must be "allow" or "deny", got ${JSON.stringify(fallback)}`);
    if (!Array.isArray(object.rules)) throw new TypeError(`${where}.rules must be an array of rules`);
    const byAction: Record<GuardedAction, CompiledRule[]> = {
      register: [],
      send: [],
      subscribe: [],
      publish: [],
    };
    object.rules.forEach((raw, index) => {
      const [actions, rule] = compileRule(raw, `${where}.rules[${index}]`);
      for (const action of actions) byAction[action].push(rule);
    });
    return new Permissions(byAction, fallback === "allow");
  }

  allows(action: GuardedAction, channel: string, requester: PatternSubject): boolean {
    for (const rule of this.byAction[action]) {
      if (ruleMatches(rule, channel, requester)) return rule.allow;
    }
    return this.allowByDefault;
  }
}

export function isGuardedAction(event: string): event is GuardedAction {
  return (GUARDED_ACTIONS as readonly string[]).includes(event);
}

function ruleMatches(rule: CompiledRule, channel: string, requester: PatternSubject): boolean {
  if (rule.keys !== undefined && !rule.keys.has(requester.key)) return false;
  for (const [path, wanted] of rule.claims) {
    const value = claimAt(requester.claims, path);
    if (value !== wanted && !(Array.isArray(value) && value.includes(wanted))) return false;
  }
  for (const pattern of rule.channels) {
    if (matchesPattern(pattern, channel, requester)) return true;
  }
  return false;
}

function compileRule(raw: unknown, where: string): [GuardedAction[], CompiledRule] {
  const rule = plainObject(raw, where, ["actions", "channels", "effect", "keys", "claims"]);
  const effect = rule.effect ?? "allow";
  if (effect !== "allow" && effect !== "deny")
    throw new TypeError(`${where}.effect must be "allow" or "deny", got ${JSON.stringify(effect)}`);
  return [
    actionsOf(rule.actions, `${where}.actions`),
    {
      allow: effect === "allow",
      channels: patternsOf(rule.channels, `${where}.channels`),
      keys: rule.keys === undefined ? undefined : new Set(keysOf(rule.keys, `${where}.keys`)),
      claims: rule.claims === undefined ? [] : claimsOf(rule.claims, `${where}.claims`),
    },
  ];
}

function actionsOf(raw: unknown, where: string): GuardedAction[] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new TypeError(`${where} must be a non-empty array of ${GUARDED_ACTIONS.join(", ")}`);
  for (const action of raw) {
    if (typeof action !== "string" || !isGuardedAction(action))
      throw new TypeError(
        `unknown action ${JSON.stringify(action)} in ${where}: use ${GUARDED_ACTIONS.join(", ")} ` +
          "(unregister, unsubscribe and ping are always allowed)",
      );
  }
  return raw as GuardedAction[];
}

function patternsOf(raw: unknown, where: string): ChannelPattern[] {
  const list = typeof raw === "string" ? [raw] : raw;
  if (!Array.isArray(list) || list.length === 0)
    throw new TypeError(`${where} must be a channel pattern or a non-empty array of them`);
  return list.map((source) => {
    try {
      return compilePattern(source);
    } catch (error) {
      throw new TypeError(`${(error as Error).message} (in ${where})`);
    }
  });
}

/** Keys named in rules are checked against the largest maxKeyBytes allowed. */
const MAX_RULE_KEY_BYTES = 65536;

function keysOf(raw: unknown, where: string): string[] {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((key) => isValidKey(key, MAX_RULE_KEY_BYTES)))
    throw new TypeError(`${where} must be a non-empty array of client keys`);
  return raw;
}

function claimsOf(raw: unknown, where: string): [string[], ClaimValue][] {
  const claims = plainObject(raw, where, undefined);
  return Object.entries(claims).map(([name, value]) => {
    const path = name.split(".");
    if (path.some((step) => step === ""))
      throw new TypeError(`bad claim name ${JSON.stringify(name)} in ${where}`);
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean")
      throw new TypeError(`${where}.${name} must be a string, number or boolean`);
    return [path, value];
  });
}

/** `raw` as an object whose keys are all in `known` (any keys when undefined). */
function plainObject(raw: unknown, where: string, known: readonly string[] | undefined) {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new TypeError(`${where} must be a JSON object`);
  const object = raw as Record<string, unknown>;
  for (const name of Object.keys(object)) {
    if (known !== undefined && !known.includes(name))
      throw new TypeError(`unknown key ${JSON.stringify(name)} in ${where}: use ${known.join(", ")}`);
  }
  return object;
}
