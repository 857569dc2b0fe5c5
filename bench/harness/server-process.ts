import { type ChildProcess, fork, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WestOptions } from "../../src/options.js";
import type { BaselineAuth } from "../baselines/jwt-check.js";
import type { SocketIoOptions } from "../baselines/socketio-server.js";
import { processCpuMicros, processPeakRssBytes, processRssBytes } from "./proc-stats.js";
import { withTimeout } from "./timeout.js";

/** A server under test, running in a process of its own. */
export interface ServerProcess {
  readonly pid: number;
  /** ws://127.0.0.1:PORT */
  readonly url: string;
  cpuMicros(): number;
  rssBytes(): number;
  peakRssBytes(): number;
  /**
   * With WEST_BENCH_PROFILE=DIR, a CPU profile of WEST-TS's server from here until `stopProfile`, written to
   * DIR/<label>.cpuprofile; otherwise nothing.
   */
  startProfile(): Promise<void>;
  stopProfile(label: string): Promise<void>;
  /** A reason, once the process has ended on its own. */
  readonly exited: string | undefined;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Forks bench/server-child.ts for a Node server (west, ws-forwarder, socketio), with WEST's options, the ws
 * forwarder's token check or Socket.IO's adapter and token check.
 */
export async function forkNodeServer(
  system: string,
  options?: WestOptions | BaselineAuth | SocketIoOptions,
): Promise<ServerProcess> {
  const args = options === undefined ? [system] : [system, JSON.stringify(options)];
  const child = fork(new URL("../server-child.js", import.meta.url), args, {
    // Not the bench process's flags (--expose-gc, a large young generation): each server runs as deployed.
    execArgv: [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const ready = once(child, "message") as Promise<[{ port: number }]>;
  const [{ port }] = await withTimeout(ready, START_TIMEOUT_MS, `the ${system} server to start`);
  const server = watch(child, `ws://127.0.0.1:${port}`, async () => {
    child.send("stop");
  });
  const profileDir = process.env.WEST_BENCH_PROFILE;
  if (profileDir === undefined || profileDir === "" || system !== "west") return server;
  const ask = async (request: object) => {
    const answered = once(child, "message");
    child.send(request);
    await withTimeout(answered, START_TIMEOUT_MS, "the server's profiler");
  };
  return {
    ...server,
    get exited() {
      return server.exited;
    },
    startProfile: () => ask({ profile: "start" }),
    stopProfile: (label) =>
      ask({ profile: "stop", file: join(profileDir, `${label.replace(/[^\w.-]+/g, "-")}.cpuprofile`) }),
  };
}

/** Starts nats-server on loopback with its WebSocket listener (no TLS) on a free port. */
export async function spawnNatsServer(): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "west-bench-nats-"));
  const config = join(dir, "nats.conf");
  writeFileSync(
    config,
    'listen: "127.0.0.1:-1"\nwebsocket {\n  host: "127.0.0.1"\n  port: -1\n  no_tls: true\n}\n',
  );
  const child = spawn("nats-server", ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
  // Unlike a forked Node server, nats-server would outlive a bench that dies: take it along.
  const orphanGuard = () => child.kill("SIGKILL");
  process.once("exit", orphanGuard);
  child.once("exit", () => process.off("exit", orphanGuard));
  let log = "";
  const port = new Promise<number>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4000);
      const match = /websocket clients on ws:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`nats-server exited (${code}): ${log}`)));
  });
  try {
    const url = `ws://127.0.0.1:${await withTimeout(port, START_TIMEOUT_MS, "nats-server to start")}`;
    return watch(
      child,
      url,
      async () => {
        child.kill("SIGTERM");
      },
      () => rmSync(dir, { recursive: true, force: true }),
    );
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function watch(
  child: ChildProcess,
  url: string,
  askToStop: () => Promise<void>,
  cleanup: () => void = () => undefined,
): ServerProcess {
  const pid = child.pid as number;
  let exited: string | undefined;
  const exit = once(child, "exit").then(([code, signal]) => {
    exited = `server process exited (${signal ?? code})`;
  });
  return {
    pid,
    url,
    cpuMicros: () => processCpuMicros(pid),
    rssBytes: () => processRssBytes(pid),
    peakRssBytes: () => processPeakRssBytes(pid),
    startProfile: async () => undefined,
    stopProfile: async () => undefined,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited === undefined) {
        await askToStop();
        await withTimeout(exit, STOP_TIMEOUT_MS, "the server to stop").catch(() => child.kill("SIGKILL"));
        await exit;
      }
      cleanup();
    },
  };
}
