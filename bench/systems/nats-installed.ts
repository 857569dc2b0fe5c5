import { spawnSync } from "node:child_process";

let probed: boolean | undefined;

/** Why `what` cannot run here (no nats-server on PATH), or undefined when it can; probed once. */
export function natsUnavailable(what: string): string | undefined {
  probed ??= spawnSync("nats-server", ["--version"], { encoding: "utf8" }).status === 0;
  return probed ? undefined : `nats-server is not installed (apt-get install nats-server); ${what} skipped`;
}
