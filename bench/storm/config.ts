import { SYSTEMS, type SystemId } from "../systems/systems.js";

/** What the storm section runs: `clients` clients connecting and subscribing at once, per system and auth. */
export interface StormConfig {
  systems: SystemId[];
  clients: number;
  /** Runs of each case, interleaved across systems. */
  repeats: number;
  /** Load worker processes the clients are spread over (10,000 clients: 5,000 sockets each). */
  workers: number;
  /** A client not subscribed this long after its attempt began has failed. */
  clientTimeoutMs: number;
}

/** `npm run bench`: 10,000 clients, 3 runs of each case. */
export const STORM: StormConfig = {
  systems: SYSTEMS.map((system) => system.id),
  clients: 10_000,
  repeats: 3,
  workers: 2,
  clientTimeoutMs: 60_000,
};

/** `npm run bench -- --quick`: 2,000 clients, 1 run. */
export const QUICK_STORM: StormConfig = { ...STORM, clients: 2_000, repeats: 1 };
