import { type ChildProcess, spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { createInterface } from "node:readline";
import { after } from "node:test";
import { fileURLToPath } from "node:url";
import { Wakeup } from "./wakeup.js";

/** The `west` command of the build these tests were compiled into (build/ or build-cli/). */
export const WEST_BIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

type Stream = "stdout" | "stderr";
type LineMatch = string | RegExp | ((line: string) => boolean);

/** What a CliProcess runs, before its arguments: `west` (this build's) unless told otherwise, e.g. `npm`. */
export interface CliOptions {
  env?: Record<string, string>;
  cwd?: string;
  program?: [file: string, ...args: string[]];
}

/** A `west ...` child process whose output is read line by line; killed when the test file ends. */
export class CliProcess {
  readonly lines: Record<Stream, string[]> = { stdout: [], stderr: [] };
  private readonly child: ChildProcess;
  private readonly read: Record<Stream, number> = { stdout: 0, stderr: 0 };
  private readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exited = false;
  private readonly changes = new Wakeup();

  constructor(args: string[], options: CliOptions = {}) {
    const [file, ...prefix] = options.program ?? [process.execPath, WEST_BIN];
    // Another program (npm) runs west as its child: in a process group of its own, killed whole when the file ends.
    const group = options.program !== undefined;
    this.child = spawn(file, [...prefix, ...args], {
      cwd: options.cwd,
      detached: group,
      env: { ...hermeticEnv(), ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    for (const stream of ["stdout", "stderr"] as const) {
      const source = this.child[stream];
      if (source === null) throw new Error(`no ${stream}`);
      createInterface({ input: source }).on("line", (line) => {
        this.lines[stream].push(line);
        this.changes.wake();
      });
    }
    this.exit = new Promise((resolve) => {
      this.child.on("close", (code, signal) => {
        this.exited = true;
        this.changes.wake();
        resolve({ code, signal });
      });
    });
    after(() => {
      if (group) killGroup(this.child.pid as number);
      else if (!this.exited) this.child.kill("SIGKILL");
    });
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Writes one line to the child's stdin. */
  write(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** Ends the child's stdin (EOF). */
  end(): void {
    this.child.stdin?.end();
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** The next line of `stream` that matches, after the last one this returned; earlier ones are skipped. */
  async nextLine(stream: Stream, match: LineMatch, timeoutMs = 10_000): Promise<string> {
    const test = matcher(match);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.lines[stream];
      while (this.read[stream] < lines.length) {
        const line = lines[this.read[stream]++] as string;
        if (test(line)) return line;
      }
      if (this.exited) throw new Error(`west exited before printing ${match} on ${stream}\n${this.output()}`);
      if (Date.now() >= deadline)
        throw new Error(`timed out waiting for ${match} on ${stream}\n${this.output()}`);
      await this.changes.wait(deadline - Date.now());
    }
  }

  /** Resolves once the process has exited and its output is read. */
  async exitCode(timeoutMs = 10_000): Promise<number | null> {
    const timeout = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new Error(`west did not exit\n${this.output()}`)), timeoutMs);
      this.exit.finally(() => clearTimeout(timer));
    });
    const { code, signal } = await Promise.race([this.exit, timeout]);
    return code ?? (signal === null ? null : -1);
  }

  /** Both streams, for failure messages. */
  output(): string {
    return `stdout:\n${this.lines.stdout.join("\n")}\nstderr:\n${this.lines.stderr.join("\n")}`;
  }
}

/** SIGKILL to every process of the group `leader` leads (gone already: nothing to do). */
function killGroup(leader: number): void {
  try {
    process.kill(-leader, "SIGKILL");
  } catch {}
}

function matcher(match: LineMatch): (line: string) => boolean {
  if (typeof match === "string") return (line) => line.includes(match);
  if (match instanceof RegExp) return (line) => match.test(line);
  return match;
}

/** This environment without WEST_* variables, so that only what a test sets reaches the child. */
function hermeticEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("WEST_") && value !== undefined) env[name] = value;
  }
  return env;
}

/** Starts `west start ...` and resolves with the process and the port from its `listening` log line. */
export async function startWestProcess(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ west: CliProcess; port: number }> {
  const west = new CliProcess(["start", ...args], options);
  const line = await west.nextLine("stdout", '"msg":"listening"');
  return { west, port: (JSON.parse(line) as { port: number }).port };
}

/** `west start --config CONFIG` on one Redis, with a short heartbeat so that a killed node is found dead soon. */
export function startWestOnRedis(
  config: string,
  redisUrl: string,
  heartbeatTtlMs: number,
  port = 0,
): Promise<{ west: CliProcess; port: number }> {
  return startWestProcess([
    ...["--config", config, "--port", String(port), "--dist", "redis", "--redis", redisUrl],
    ...["--redis-heartbeat-ttl-ms", String(heartbeatTtlMs)],
  ]);
}

/** A loopback port held busy until the test file ends: a node told to use it cannot start. */
export async function busyPort(): Promise<number> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(() => server.close());
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}
