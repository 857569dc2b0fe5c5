import type { Totals } from "../core/counters.js";

/** Per second, between two readings of a node's totals: each total's rate. */
export type Rates = Omit<Totals, "at">;

/** Older nodes' totals lack the newer fields: those count as 0. */
const FIELDS = [
  "deliveries",
  "commands",
  "bytesIn",
  "bytesOut",
  "slowConsumerCuts",
  "rateLimited",
  "authFailures",
  "roundTrips",
  "roundTripSeconds",
] as const satisfies readonly (keyof Rates)[];

export const NO_RATES: Rates = Object.freeze(
  Object.fromEntries(FIELDS.map((field) => [field, 0])) as unknown as Rates,
);

/**
 * The rates from `before` to `after`; zero when they are the same reading or out of order. A total that went
 * down (cannot happen within one node's life) counts as zero rather than negative.
 */
export function ratesBetween(before: Totals, after: Totals): Rates {
  const seconds = (after.at - before.at) / 1000;
  if (!(seconds > 0)) return NO_RATES;
  const rates = {} as Rates;
  for (const field of FIELDS)
    rates[field] = Math.max(0, (after[field] ?? 0) - (before[field] ?? 0)) / seconds;
  return rates;
}

/** The sum of several nodes' rates. */
export function sumRates(all: readonly Rates[]): Rates {
  const sum = { ...NO_RATES };
  for (const rates of all) for (const field of FIELDS) sum[field] += rates[field];
  return sum;
}
