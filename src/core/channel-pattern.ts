/**
 * Channel patterns of the permission rules. A pattern is dot-separated segments:
 * - `*`: exactly one non-empty segment (any text without a dot);
 * - `>`: one or more segments, the rest of the name; only as the last segment;
 * - any other segment: literal text, in which `{key}` (the client's key) and `{claims.NAME}` (a string claim of
 *   its verified token; `{claims.a.b}` reads a nested one) stand for a value of the client.
 * A placeholder is filled only by a non-empty string without a dot, so that it always stays within its segment;
 * a pattern whose placeholder cannot be filled matches nothing for that client.
 */

/** What placeholders are filled from. */
export interface PatternSubject {
  readonly key: string;
  readonly claims: Readonly<Record<string, unknown>> | undefined;
}

/** `{key}`, or `{claims.a.b}` as the path ["a", "b"]. */
type Placeholder = { readonly claim: readonly string[] | undefined };
/** Literal text or a placeholder, concatenated to make up one segment. */
type Part = string | Placeholder;
const ONE_SEGMENT = "*";
const REST = ">";

export interface ChannelPattern {
  readonly source: string;
  /** Each segment: ONE_SEGMENT, or the parts that spell it. */
  readonly segments: readonly (typeof ONE_SEGMENT | readonly Part[])[];
  /** Ends with `>`: one or more segments follow those of `segments`. */
  readonly rest: boolean;
}

const LITERAL_FORBIDDEN = /[\s"{}*>\p{Cc}]/u;

/** Parses `source` once; a TypeError saying what is wrong with it otherwise. */
export function compilePattern(source: unknown): ChannelPattern {
  if (typeof source !== "string" || source === "")
    throw new TypeError(`a channel pattern is a non-empty string, got ${JSON.stringify(source)}`);
  const fail = (why: string): never => {
    throw new TypeError(`bad channel pattern ${JSON.stringify(source)}: ${why}`);
  };
  const texts = splitSegments(source, fail);
  const rest = texts[texts.length - 1] === REST;
  if (rest) texts.pop();
  const segments = texts.map((text) => {
    if (text === "") return fail("empty segment (two dots in a row, or a dot at an end)");
    if (text === ONE_SEGMENT) return ONE_SEGMENT;
    if (text === REST) return fail("`>` (the rest of the name) may only be the last segment");
    return parseSegment(text, fail);
  });
  return { source, segments, rest };
}

/** Splits at the dots that are not inside a placeholder (`{claims.a.b}` is one part). */
function splitSegments(source: string, fail: (why: string) => never): string[] {
  const texts: string[] = [];
  let start = 0;
  let inside = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === "{") {
      if (inside) fail("`{` inside a placeholder");
      inside = true;
    } else if (char === "}") {
      if (!inside) fail("`}` without `{`");
      inside = false;
    } else if (char === "." && !inside) {
      texts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  if (inside) fail("unclosed `{`");
  texts.push(source.slice(start));
  return texts;
}

function parseSegment(text: string, fail: (why: string) => never): Part[] {
  const parts: Part[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf("{", at);
    const literal = text.slice(at, open === -1 ? text.length : open);
    if (LITERAL_FORBIDDEN.test(literal))
      fail(
        "`*` and `>` must be whole segments; braces only around {key} or {claims.NAME}; no whitespace or quotes",
      );
    if (literal !== "") parts.push(literal);
    if (open === -1) break;
    const close = text.indexOf("}", open);
    parts.push(parsePlaceholder(text.slice(open + 1, close), fail));
    at = close + 1;
  }
  return parts;
}

function parsePlaceholder(name: string, fail: (why: string) => never): Placeholder {
  if (name === "key") return { claim: undefined };
  const [head, ...path] = name.split(".");
  if (head !== "claims") return fail(`unknown placeholder {${name}}: use {key} or {claims.NAME}`);
  if (path.length === 0 || path.some((step) => step === ""))
    return fail(`{${name}} needs a claim name: {claims.NAME}`);
  return { claim: path };
}

/** True when `channel` fits `pattern` for `subject`. Allocates nothing. */
export function matchesPattern(pattern: ChannelPattern, channel: string, subject: PatternSubject): boolean {
  let at = 0;
  for (const segment of pattern.segments) {
    if (at > channel.length) return false;
    const dot = channel.indexOf(".", at);
    const end = dot === -1 ? channel.length : dot;
    if (segment === ONE_SEGMENT) {
      if (end === at) return false;
    } else if (!spells(segment, channel, at, end, subject)) {
      return false;
    }
    at = end + 1;
  }
  // `at` is past the end exactly when every character was consumed.
  return pattern.rest ? at < channel.length : at === channel.length + 1;
}

function spells(
  parts: readonly Part[],
  channel: string,
  start: number,
  end: number,
  subject: PatternSubject,
) {
  let at = start;
  for (const part of parts) {
    const text = typeof part === "string" ? part : fill(part, subject);
    if (text === undefined || !channel.startsWith(text, at)) return false;
    at += text.length;
  }
  return at === end;
}

function fill(placeholder: Placeholder, subject: PatternSubject): string | undefined {
  const value = placeholder.claim === undefined ? subject.key : claimAt(subject.claims, placeholder.claim);
  return typeof value === "string" && value !== "" && !value.includes(".") ? value : undefined;
}

/** The claim at `path` (nested objects), or undefined. */
export function claimAt(
  claims: Readonly<Record<string, unknown>> | undefined,
  path: readonly string[],
): unknown {
  let value: unknown = claims;
  for (const name of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
  }
  return value;
}
