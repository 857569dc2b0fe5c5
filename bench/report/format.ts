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

/** A busiest load process at or above this many cores means the load generator, not the server, set the pace. */
export const CLIENT_BOUND_CORES = 0.9;

/** The busiest load process's cores, marked where the load generator was the limit. */
export const loadCores = (cores: number) =>
  `${cores.toFixed(2)}${cores >= CLIENT_BOUND_CORES ? " (limit)" : ""}`;
