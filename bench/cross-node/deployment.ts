import { processCpuMicros, processPeakRssBytes, processRssBytes } from "../harness/proc-stats.js";
import type { ServerProcess } from "../harness/server-process.js";

/** A system of 3 server nodes, each in a process of its own, and what they share (Redis), running. */
export interface Deployment {
  /** ws://127.0.0.1:PORT of each node, node 1 first. */
  readonly urls: string[];
  /** All of it seen as one server: CPU summed over every process (nodes and Redis), for the measured phases. */
  readonly server: ServerProcess;
  stop(): Promise<void>;
}

/**
 * The nodes and the processes they share as one ServerProcess: CPU summed over all of their processes,
 * memory over the nodes; "exited" once any node has.
 */
export function combinedServer(
  nodes: { pid: number; readonly exited?: string | undefined }[],
  sharedPids: () => (number | undefined)[],
): ServerProcess {
  const pids = () => [...nodes.map((node) => node.pid), ...sharedPids()];
  return {
    pid: (nodes[0] as { pid: number }).pid,
    url: "",
    cpuMicros: () => pids().reduce((sum: number, pid) => sum + processCpuMicros(pid), 0),
    rssBytes: () => nodes.reduce((sum, node) => sum + processRssBytes(node.pid), 0),
    peakRssBytes: () => nodes.reduce((sum, node) => sum + processPeakRssBytes(node.pid), 0),
    startProfile: async () => undefined,
    stopProfile: async () => undefined,
    get exited() {
      return nodes.find((node) => node.exited !== undefined)?.exited;
    },
    stop: async () => undefined,
  };
}
