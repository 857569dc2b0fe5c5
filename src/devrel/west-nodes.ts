import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { createInterface } from "node:readline";
import { dyingWithParent } from "./die-with-parent.js";
import { waitFor } from "./wait-for.js";

/** How long a node may take to answer HTTP after it was spawned. */
const READY_TIMEOUT_MS = 30_000;
/** How long a SIGTERM'd node may take to stop gracefully before it gets SIGKILL. */
const STOP_TIMEOUT_MS = 15_000;

/** `west start` in a child process, on 127.0.0.1:`port`. */
export class WestNodeProcess {
  readonly url: string;
  /** Set once it has exited: its exit code, or the signal that ended it. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;

  /**
   * Spawns `node westMain start --host 127.0.0.1 --port PORT ...args`; each line it prints goes to `onLine`.
   * In a process group of its own, so that a Ctrl-C reaches only whoever started it, who stops it once;
   * killed if that process dies without stopping it.
   */
  constructor(
    westMain: string,
    readonly port: number,
    args: readonly string[],
    env: NodeJS.ProcessEnv,
    onLine: (line: string) => void,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    const [command, commandArgs] = dyingWithParent(process.execPath, [
      ...[westMain, "start", "--host", "127.0.0.1", "--port", String(port)],
      ...args,
    ]);
    this.child = spawn(command, commandArgs, { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    live.add(this.child);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream) createInterface({ input: stream }).on("line", onLine);
    }
    this.exited = new Promise((resolve) =>
      this.child.once("exit", (code, signal) => {
        this.exit = { code, signal };
        live.delete(this.child);
        resolve();
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves when it has exited. */
  get done(): Promise<void> {
    return this.exited;
  }

  /** Resolves once `/` answers 200; rejects if the node exits first or takes too long. */
  async ready(): Promise<void> {
    await waitFor(
      async () => {
        if (this.exit) throw new Error(`exited (${describeExit(this.exit)}) before it answered HTTP`);
        return (await httpStatus(this.url)) === 200;
      },
      READY_TIMEOUT_MS,
      `${this.url} to answer HTTP`,
    );
  }

  /** SIGTERM (a graceful stop), SIGKILL if it has not exited in time. */
  async stop(): Promise<void> {
    if (this.exit) return;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.kill(), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exit) this.child.kill("SIGKILL");
  }
}

export function describeExit(exit: WestNodeProcess["exit"]): string {
  if (exit === undefined) return "running";
  return exit.signal === null ? `code ${exit.code}` : `signal ${exit.signal}`;
}

/** The status of a GET, or undefined when nothing answers. */
function httpStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    req.on("error", () => resolve(undefined));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

const live = new Set<ChildProcess>();

process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});
