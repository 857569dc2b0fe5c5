/** Number formats shared by the markdown table and the chart. */

export const integer = (value: number) => Math.round(value).toLocaleString("en-US");

/** Two significant decimals for small values, fewer for large. */
export function micros(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export const millis = (microseconds: number) => (microseconds / 1000).toFixed(microseconds < 10_000 ? 2 : 1);

export const mebibytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

export const kibibytes = (bytes: number) => (bytes / 1024).toFixed(1);

export const ratio = (value: number | undefined) => (value === undefined ? "–" : `${value.toFixed(2)}x`);
