import { API_KEY, SERVER_KEY } from "./message.js";

/** What makes a name invalid (docs/protocol.md, "Names"); undefined from nameProblem when nothing does. */
export type NameProblem =
  | "absent"
  | "not a string"
  | "empty"
  | "too long"
  | "quote"
  | "lone surrogate"
  | "format character"
  | "whitespace"
  | "control character";

/**
 * The characters a name may not hold, each class with the problem it names, in the order a character is named:
 * U+FEFF is whitespace to JavaScript but a format character first; a tab is a control character but whitespace
 * first. \p{Cf}: format characters, invisible, some of which reorder what follows (U+202E right-to-left
 * override), so that a `from` would not read as what it is. \p{Cs}: a lone surrogate, which has no UTF-8 form.
 */
const FORBIDDEN_CLASSES: readonly (readonly [NameProblem, string])[] = [
  ["quote", '"'],
  ["lone surrogate", "\\p{Cs}"],
  ["format character", "\\p{Cf}"],
  ["whitespace", "\\s"],
  ["control character", "\\p{Cc}"],
];
/** Any character of those classes: the one test a valid name pays for. */
const FORBIDDEN = new RegExp(`[${FORBIDDEN_CLASSES.map(([, characters]) => characters).join("")}]`, "u");
const CLASS_OF = FORBIDDEN_CLASSES.map(
  ([problem, characters]) => [problem, new RegExp(`^[${characters}]$`, "u")] as const,
);

/**
 * What is wrong with a client key or channel name, or undefined when it is valid: 1 to `maxBytes` bytes of UTF-8
 * (256 by default, see the options maxKeyBytes and maxChannelBytes) with no whitespace, no control characters, no
 * format characters (Unicode category Cf: U+200B zero-width space, U+202E right-to-left override, ...) and no `"`
 * (docs/protocol.md, "Names"). A name with several problems gets the first: length, then its first bad character.
 */
export function nameProblem(name: unknown, maxBytes: number): NameProblem | undefined {
  // null is absent, as `"channel":null` is in JSON (a native client may pass it).
  if (typeof name !== "string") return name === undefined || name === null ? "absent" : "not a string";
  if (name.length === 0) return "empty";
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short names skip the byte count.
  if (name.length * 3 > maxBytes && Buffer.byteLength(name, "utf8") > maxBytes) return "too long";
  const found = FORBIDDEN.exec(name);
  if (found === null) return undefined;
  const character = found[0];
  for (const [problem, pattern] of CLASS_OF) if (pattern.test(character)) return problem;
  // FORBIDDEN is the union of the classes: a character it found is in one of them.
  throw new Error(`a forbidden character in no class: U+${character.codePointAt(0)?.toString(16)}`);
}

/** A valid client key or channel name (see nameProblem). */
export function isValidName(name: unknown, maxBytes: number): name is string {
  return nameProblem(name, maxBytes) === undefined;
}

/** A client key: a valid name other than "west" and "api", which would pass for the server or its HTTP API in `from`. */
export function isValidKey(key: unknown, maxBytes: number): key is string {
  return isValidName(key, maxBytes) && key !== SERVER_KEY && key !== API_KEY;
}

/** What a valid key is, for refusals. */
export function keyRule(maxBytes: number): string {
  return `1-${maxBytes} bytes, no whitespace, control or format characters (Unicode Cc, Cf) or '"', and not "west" or "api"`;
}
