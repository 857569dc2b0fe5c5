import { Prng } from "../../test/helpers/fuzz/prng.js";

/** Bounds to draw a number from. */
export interface Range {
  min: number;
  max: number;
}

/**
 * The fuzzer's seeded generator (mulberry32) with the draws a chaos run needs: the same seed gives the same
 * choices, so a run's plan (which fault when, which command next) is reproducible; its timing is not.
 */
export class Random extends Prng {
  /** A stream of its own for one component, derived from this seed and `label`. */
  static forComponent(seed: number, label: string): Random {
    let hash = 2166136261 ^ (seed >>> 0);
    for (let i = 0; i < label.length; i++) hash = Math.imul(hash ^ label.charCodeAt(i), 16777619);
    return new Random(hash);
  }

  /** In [low, high). */
  between(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Log-uniform in [low, high): as many draws between 0.5 and 1 s as between 4 and 8 s. */
  logBetween(low: number, high: number): number {
    return Math.exp(this.between(Math.log(low), Math.log(high)));
  }

  /** One of `weights`' keys, each with a chance proportional to its weight. */
  weighted<K extends string>(weights: Readonly<Record<K, number>>): K {
    const entries = Object.entries(weights) as [K, number][];
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let draw = this.next() * total;
    for (const [key, weight] of entries) {
      draw -= weight;
      if (draw < 0) return key;
    }
    return (entries[entries.length - 1] as [K, number])[0];
  }
}
