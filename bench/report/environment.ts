import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism, cpus, totalmem } from "node:os";
import type { System } from "../systems/systems.js";
import type { BenchReport } from "./bench-report.js";

const root = new URL("../../../", import.meta.url);

/** The version in a package.json, by its path from the repository's root; "?" when unreadable. */
export function packageVersion(path: string): string {
  try {
    return (JSON.parse(readFileSync(new URL(path, root), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

/** What a command prints, trimmed; undefined when it fails. */
export function run(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
}

export function machine(): BenchReport["machine"] {
  return {
    node: process.version,
    cores: availableParallelism(),
    cpu: cpus()[0]?.model.trim() ?? "?",
    platform: `${process.platform}/${process.arch}`,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
  };
}

export function commit(): string {
  const head = run("git", ["-C", root.pathname, "rev-parse", "--short", "HEAD"]) ?? "unknown";
  const dirty = run("git", ["-C", root.pathname, "status", "--porcelain", "--untracked-files=no"]);
  return dirty ? `${head} with uncommitted changes` : head;
}

/** The version of each system that ran. */
export function versionOf(system: System): string {
  switch (system.id) {
    case "west":
      return packageVersion("package.json");
    case "ws-forwarder":
      return `(ws ${packageVersion("node_modules/ws/package.json")})`;
    case "socketio":
      return packageVersion("node_modules/socket.io/package.json");
    case "nats":
      return (
        system.unavailable() ?? run("nats-server", ["--version"])?.replace(/^nats-server:\s*/, "") ?? "?"
      );
  }
}
