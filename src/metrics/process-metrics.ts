import { collectDefaultMetrics, Registry } from "prom-client";

let shared: Registry | undefined;

/**
 * The process's metrics (prom-client's default metrics: CPU, memory, event loop, GC), collected once per process
 * and merged into every node's registry: collecting them starts an event-loop monitor and a GC observer that are
 * never stopped, so one set per node would pile up in a process that runs several nodes.
 */
export function processRegistry(): Registry {
  if (shared === undefined) {
    shared = new Registry();
    collectDefaultMetrics({ register: shared });
  }
  return shared;
}
