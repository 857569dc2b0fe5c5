import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dyingWithParent } from "./die-with-parent.js";
import { freePortWith } from "./free-ports.js";
import { RespError, redisCall } from "./redis-admin.js";
import { waitFor } from "./wait-for.js";

/** How long a redis-server may take to answer its first PING. */
const START_TIMEOUT_MS = 15_000;
/** How long a SIGTERM'd redis-server may take to exit before it gets SIGKILL. */
const STOP_TIMEOUT_MS = 5_000;
/** Lines of a server's own log kept for error messages. */
const LOG_TAIL_LINES = 40;

/**
 * One redis-server on 127.0.0.1:`port` with a temp dir of its own and no persistence, started and stopped
 * on request; killed, and its dir removed, when this process exits.
 */
export class RedisProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly logTail: string[] = [];

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /** A started server; `extraArgs` are more `--name value` config arguments (cluster mode, ACL users). */
  static async start(port: number, extraArgs: readonly string[] = []): Promise<RedisProcess> {
    const dir = await mkdtemp(join(tmpdir(), `west-redis-${port}-`));
    const server = new RedisProcess(port, dir, extraArgs);
    live.add(server);
    try {
      await server.spawn();
    } catch (error) {
      await server.remove();
      throw error;
    }
    return server;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** The server's last log lines, for error messages. */
  get log(): string {
    return this.logTail.join("\n");
  }

  /** Starts it again in the same dir, after a stop or a kill (with no persistence, the data is gone). */
  async restart(): Promise<void> {
    await this.stop();
    await this.spawn();
  }

  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. The dir is kept for a restart. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL, as a crash: no shutdown work at all. Resolves once the process is gone. */
  async kill9(): Promise<void> {
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  /** Stops it for good and removes its dir. */
  async remove(): Promise<void> {
    await this.stop();
    live.delete(this);
    await rm(this.dir, { recursive: true, force: true });
  }

  private async spawn(): Promise<void> {
    const args = [
      ...["--port", String(this.port), "--bind", "127.0.0.1", "--protected-mode", "no"],
      ...["--save", "", "--appendonly", "no", "--dir", this.dir, "--daemonize", "no", "--logfile", ""],
      ...this.extraArgs,
    ];
    // A process group of its own: a Ctrl-C in the terminal must not stop Redis before the nodes that use it.
    const [command, commandArgs] = dyingWithParent("redis-server", args);
    const child = spawn(command, commandArgs, { detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    let failed: Error | undefined;
    this.exited = new Promise((resolve) => {
      const gone = () => {
        if (this.child === child) this.child = undefined;
        resolve();
      };
      child.once("exit", gone);
      // No process at all (redis-server not installed): there will be no exit event.
      child.once("error", (error) => {
        failed = error;
        if (child.pid === undefined) gone();
      });
    });
    for (const stream of [child.stdout, child.stderr]) stream?.setEncoding("utf8").on("data", this.keepLog);
    // A server started with --requirepass refuses PING without AUTH, which proves it is up just as well.
    const ready = () =>
      redisCall(this.port, "PING").then(
        (reply) => reply === "PONG",
        (error: Error) => error instanceof RespError && error.message.startsWith("NOAUTH"),
      );
    try {
      await waitFor(
        async () => {
          if (failed) throw failed;
          if (this.child !== child) throw new Error("redis-server exited");
          return ready();
        },
        START_TIMEOUT_MS,
        `redis-server on port ${this.port} to answer PING`,
      );
    } catch (error) {
      await this.kill9();
      throw new Error(
        `cannot start redis-server on port ${this.port}: ${(error as Error).message}\n${this.log}`,
      );
    }
  }

  private readonly keepLog = (text: string) => {
    for (const line of text.split("\n")) if (line.trim() !== "") this.logTail.push(line);
    this.logTail.splice(0, Math.max(0, this.logTail.length - LOG_TAIL_LINES));
  };
}

/**
 * A server on a port found free, with the ports at `offsets` from it free too (the cluster bus), none in
 * `taken`; tries another port when some other process took it between the check and the bind.
 */
export async function startOnFreePort(
  offsets: readonly number[],
  args: readonly string[] = [],
  taken: ReadonlySet<number> = new Set(),
): Promise<RedisProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePortWith(offsets, taken);
    try {
      return await RedisProcess.start(port, args);
    } catch (error) {
      const lostRace = error instanceof Error && /Address already in use/.test(error.message);
      if (attempt >= 5 || !lostRace) throw error;
    }
  }
}

const live = new Set<RedisProcess>();

process.once("exit", () => {
  for (const server of live) {
    if (server.pid !== undefined) {
      try {
        process.kill(server.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    rmSync(server.dir, { recursive: true, force: true });
  }
});
