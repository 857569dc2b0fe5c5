/** A time of the run's clock as the report writes it. */
export function seconds(at: number): string {
  return `${(at / 1000).toFixed(3)} s`;
}

/** A span of the run's clock, `open` when it has no end. */
export function span(from: number, to: number | undefined): string {
  return `${seconds(from)}-${to === undefined ? "open" : seconds(to)}`;
}
