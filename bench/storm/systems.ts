import { forkNodeServer } from "../harness/server-process.js";
import type { System } from "../systems/systems.js";
import type { StormAuth } from "./records.js";
import { STORM_JWT_SECRET } from "./tokens.js";

/** Why NATS has no auth-on row. */
export const NATS_JWT_UNAVAILABLE =
  "NATS has no check of a shared-secret (HS256) token: its JWT auth is decentralized, an operator JWT, an account JWT and a user JWT per client, each signed with Ed25519 nkeys (nsc), and each client signs the server's nonce with its own nkey in CONNECT. The bench has no nkeys tooling, so there is no like-for-like row";

/**
 * `system` as a storm starts it: as deployed (auth off), or with its check of the clients' HS256 tokens on;
 * a reason where it has no such check.
 */
export function stormSystem(system: System, auth: StormAuth): System | string {
  if (auth === "off") return system;
  const jwtSecret = STORM_JWT_SECRET;
  switch (system.id) {
    case "west":
      return { ...system, start: () => forkNodeServer("west", { auth: { jwtSecret } }) };
    case "ws-forwarder":
    case "socketio":
      return { ...system, start: () => forkNodeServer(system.id, { jwtSecret }) };
    case "nats":
      return NATS_JWT_UNAVAILABLE;
  }
}
