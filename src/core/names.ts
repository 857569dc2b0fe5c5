import { SERVER_KEY } from "./message.js";

// \p{Cf}: format characters, invisible, some of which reorder what follows (U+202E right-to-left override), so
// that a `from` would not read as what it is. \p{Cs}: a lone surrogate, which has no UTF-8 form.
const FORBIDDEN = /[\s"\p{Cc}\p{Cf}\p{Cs}]/u;

/**
 * A client key or channel name: 1 to `maxBytes` bytes of UTF-8 (256 by default, see the options
 * maxKeyBytes and maxChannelBytes) with no whitespace, no control characters, no format characters (Unicode
 * category Cf: U+200B zero-width space, U+202E right-to-left override, ...) and no `"`
 * (docs/protocol.md, "Names").
 */
export function isValidName(name: unknown, maxBytes: number): name is string {
  if (typeof name !== "string" || name.length === 0) return false;
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short names skip the byte count.
  if (name.length * 3 > maxBytes && Buffer.byteLength(name, "utf8") > maxBytes) return false;
  return !FORBIDDEN.test(name);
}

/** A client key: a valid name other than "west", which would pass for the server in `from`. */
export function isValidKey(key: unknown, maxBytes: number): key is string {
  return isValidName(key, maxBytes) && key !== SERVER_KEY;
}

/** What a valid key is, for refusals. */
export function keyRule(maxBytes: number): string {
  return `1-${maxBytes} bytes, no whitespace, control or format characters (Unicode Cc, Cf) or '"', and not "west"`;
}
