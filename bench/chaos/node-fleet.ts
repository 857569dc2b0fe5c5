import { createWriteStream, type WriteStream } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePortWith } from "../../src/devrel/free-ports.js";
import { WestNodeProcess } from "../../src/devrel/west-nodes.js";
import type { ExitCause } from "./history.js";
import type { Recorder } from "./recorder.js";

/** The `west` command of this build. */
const WEST_MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface FleetOptions {
  count: number;
  /** Arguments of `west start` besides host and port (dist, Redis, timeouts, log level). */
  nodeArgs: readonly string[];
  /** Where `node-I.log` (every line each node printed, restarts appended) goes. */
  logDir: string;
  recorder: Recorder;
}

/** One node's slot: a fixed port, the process on it now, and what the harness did to it. */
interface Slot {
  readonly port: number;
  readonly log: WriteStream;
  /** The process on the port now (or the last one); undefined before the first start. */
  process: WestNodeProcess | undefined;
  incarnation: number;
  paused: boolean;
  /** Why the current process will exit, once someone made it. */
  expectedExit: ExitCause;
  readonly killedIncarnations: Set<number>;
}

/**
 * The WEST node processes of a chaos run, each on a fixed loopback port so that a killed node comes back on
 * the same address. Records every start and exit (and whether the harness caused it) in the history.
 */
export class NodeFleet {
  private constructor(
    private readonly slots: Slot[],
    private readonly options: FleetOptions,
  ) {}

  /** Starts `count` nodes and resolves once each answers HTTP. */
  static async start(options: FleetOptions): Promise<NodeFleet> {
    const taken = new Set<number>();
    const slots: Slot[] = [];
    for (let node = 0; node < options.count; node++) {
      const port = await freePortWith([], taken);
      taken.add(port);
      const log = createWriteStream(join(options.logDir, `node-${node}.log`));
      slots.push({
        port,
        log,
        process: undefined,
        incarnation: 0,
        paused: false,
        expectedExit: "none",
        killedIncarnations: new Set(),
      });
    }
    const fleet = new NodeFleet(slots, options);
    for (let node = 0; node < options.count; node++) fleet.restart(node);
    try {
      await Promise.all(slots.map((slot) => slot.process?.ready()));
    } catch (error) {
      await fleet.stop();
      throw new Error(`a WEST node did not start: ${(error as Error).message}`);
    }
    return fleet;
  }

  get count(): number {
    return this.slots.length;
  }

  httpUrl(node: number): string {
    return `http://127.0.0.1:${this.slot(node).port}`;
  }

  wsUrl(node: number): string {
    return `ws://127.0.0.1:${this.slot(node).port}`;
  }

  logFile(node: number): string {
    return join(this.options.logDir, `node-${node}.log`);
  }

  /** The incarnation running (or last run) on `node`'s port. */
  incarnation(node: number): number {
    return this.slot(node).incarnation;
  }

  /** Whether the nemesis killed that incarnation of `node`. */
  wasKilled(node: number, incarnation: number): boolean {
    return this.slot(node).killedIncarnations.has(incarnation);
  }

  /** SIGSTOP: the process freezes, its sockets stay open, nothing it holds is released. */
  pause(node: number): void {
    const slot = this.slot(node);
    const pid = runningPid(slot);
    if (pid === undefined) return;
    process.kill(pid, "SIGSTOP");
    slot.paused = true;
  }

  /** SIGCONT after `pause`. */
  resume(node: number): void {
    const slot = this.slot(node);
    if (!slot.paused) return;
    slot.paused = false;
    const pid = runningPid(slot);
    if (pid !== undefined) process.kill(pid, "SIGCONT");
  }

  /** SIGKILL, as a crash; resolves once the process is gone. */
  async kill9(node: number): Promise<void> {
    const slot = this.slot(node);
    const child = slot.process;
    if (child === undefined || child.exit !== undefined) return;
    slot.expectedExit = "nemesis_kill";
    slot.killedIncarnations.add(slot.incarnation);
    child.kill();
    slot.paused = false;
    await child.done;
  }

  /** Starts a new incarnation of `node` on its port (the previous one must have exited). */
  restart(node: number): void {
    const slot = this.slot(node);
    slot.incarnation++;
    slot.expectedExit = "none";
    const incarnation = slot.incarnation;
    const writeLine = (line: string) => {
      if (!slot.log.writableEnded) slot.log.write(`${line}\n`);
    };
    writeLine(JSON.stringify({ chaos: "node process starting", node, incarnation, port: slot.port }));
    const child = new WestNodeProcess(WEST_MAIN, slot.port, this.options.nodeArgs, hermeticEnv(), writeLine);
    slot.process = child;
    const pid = child.pid ?? -1;
    this.options.recorder.record({ type: "node_start", node, incarnation, pid, port: slot.port });
    void child.done.then(() => {
      this.options.recorder.record({
        type: "node_exit",
        node,
        incarnation,
        pid,
        code: child.exit?.code ?? null,
        signal: child.exit?.signal ?? null,
        cause: slot.process === child ? slot.expectedExit : "none",
      });
    });
  }

  /** Stops every node gracefully (SIGTERM; SIGKILL after 15 s), resuming paused ones first; closes the logs. */
  async stop(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot, node) => {
        const child = slot.process;
        if (child === undefined) return;
        this.resume(node);
        if (child.exit === undefined) slot.expectedExit = "driver_stop";
        await child.stop();
      }),
    );
    await Promise.all(
      this.slots.map((slot) => new Promise<void>((resolve) => slot.log.end(() => resolve()))),
    );
  }

  private slot(node: number): Slot {
    const slot = this.slots[node];
    if (slot === undefined) throw new Error(`no node ${node}`);
    return slot;
  }
}

function runningPid(slot: Slot): number | undefined {
  return slot.process?.exit === undefined ? slot.process?.pid : undefined;
}

/** This environment without WEST_* variables: the nodes get their settings from their flags only. */
function hermeticEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("WEST_")));
}
