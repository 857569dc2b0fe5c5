import { forkNodeServer, type ServerProcess, spawnNatsServer } from "../harness/server-process.js";
import type { DialectName } from "./dialect.js";
import { natsUnavailable } from "./nats-installed.js";

export type SystemId = "west" | "ws-forwarder" | "socketio" | "nats";
export type Protocol = "json" | "pb";

/** A system under test. */
export interface System {
  id: SystemId;
  label: string;
  /** The dialect a load client speaks, per protocol the system has. */
  dialects: Partial<Record<Protocol, DialectName>>;
  /** Why the system cannot run on this machine, or undefined when it can. */
  unavailable(): string | undefined;
  start(): Promise<ServerProcess>;
}

/** The systems compared, in report order; the ws forwarder is the reference the ratios divide by. */
export const SYSTEMS: System[] = [
  {
    id: "west",
    label: "WEST-TS",
    dialects: { json: "west-json", pb: "west-pb" },
    unavailable: () => undefined,
    start: () => forkNodeServer("west"),
  },
  {
    id: "ws-forwarder",
    label: "ws forwarder",
    dialects: { json: "west-json" },
    unavailable: () => undefined,
    start: () => forkNodeServer("ws-forwarder"),
  },
  {
    id: "socketio",
    label: "Socket.IO",
    dialects: { json: "socketio" },
    unavailable: () => undefined,
    start: () => forkNodeServer("socketio"),
  },
  {
    id: "nats",
    label: "NATS (WebSocket)",
    dialects: { json: "nats" },
    unavailable: () => natsUnavailable("NATS"),
    start: spawnNatsServer,
  },
];

export const REFERENCE_SYSTEM: SystemId = "ws-forwarder";

export function systemById(id: SystemId): System {
  const system = SYSTEMS.find((s) => s.id === id);
  if (system === undefined) throw new Error(`unknown system ${id}`);
  return system;
}
