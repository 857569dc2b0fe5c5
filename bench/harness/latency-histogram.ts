/** Buckets grow by 2%: percentiles are exact to within 1%. 1,200 buckets reach past 10^10 us. */
const GROWTH = 1.02;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = 1200;

/** A histogram in the shape that crosses process boundaries: non-empty buckets only. */
export interface HistogramData {
  buckets: [index: number, count: number][];
  count: number;
  max: number;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
}

/** Latencies in microseconds, in logarithmic buckets, mergeable across processes. */
export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;
  max = 0;

  record(micros: number): void {
    const index = micros <= 1 ? 0 : Math.min(BUCKETS - 1, Math.floor(Math.log(micros) / LOG_GROWTH));
    this.counts[index] = (this.counts[index] as number) + 1;
    this.count++;
    if (micros > this.max) this.max = micros;
  }

  add(data: HistogramData): void {
    for (const [index, count] of data.buckets) this.counts[index] = (this.counts[index] as number) + count;
    this.count += data.count;
    if (data.max > this.max) this.max = data.max;
  }

  data(): HistogramData {
    const buckets: [number, number][] = [];
    this.counts.forEach((count, index) => {
      if (count > 0) buckets.push([index, count]);
    });
    return { buckets, count: this.count, max: this.max };
  }

  /** The value below which a fraction `q` of the recordings lie (the middle of its bucket). */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.counts[index] as number;
      if (seen >= rank) return Math.min(this.max, GROWTH ** (index + 0.5));
    }
    return this.max;
  }

  summary(): LatencySummary {
    return { p50: this.quantile(0.5), p99: this.quantile(0.99), max: this.max };
  }

  static merged(parts: HistogramData[]): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const part of parts) histogram.add(part);
    return histogram;
  }
}
