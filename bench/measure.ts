import { GCProfiler } from "node:v8";

export interface Measurement {
  /** Units of work done (deliveries, sends). */
  units: number;
  nanosPerUnit: number;
  unitsPerSecond: number;
  /** Heap bytes allocated per unit, from batches that ran without a garbage collection. */
  bytesPerUnit: number | undefined;
}

const collect = (globalThis as { gc?: () => void }).gc;

/**
 * Times `batch` (which does `unitsPerBatch` units) `batches` times. Allocation is read from heap growth over
 * batches that ran with no GC in between (run node with --expose-gc and a large --max-semi-space-size).
 */
export async function measure(
  batch: () => Promise<void> | void,
  unitsPerBatch: number,
  batches: number,
): Promise<Measurement> {
  for (let i = 0; i < 3; i++) await batch();
  let elapsedNs = 0n;
  let cleanBytes = 0;
  let cleanUnits = 0;
  for (let i = 0; i < batches; i++) {
    collect?.();
    await new Promise((resolve) => setImmediate(resolve));
    const profiler = new GCProfiler();
    profiler.start();
    const heapBefore = process.memoryUsage().heapUsed;
    const start = process.hrtime.bigint();
    await batch();
    elapsedNs += process.hrtime.bigint() - start;
    const heapAfter = process.memoryUsage().heapUsed;
    const collections = profiler.stop()?.statistics.length ?? 1;
    if (collections === 0 && collect !== undefined) {
      cleanBytes += heapAfter - heapBefore;
      cleanUnits += unitsPerBatch;
    }
  }
  const units = unitsPerBatch * batches;
  const nanosPerUnit = Number(elapsedNs) / units;
  return {
    units,
    nanosPerUnit,
    unitsPerSecond: 1e9 / nanosPerUnit,
    bytesPerUnit: cleanUnits > 0 ? Math.max(0, cleanBytes / cleanUnits) : undefined,
  };
}
