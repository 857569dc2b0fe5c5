import type { Deadline } from "./deadline.js";
import { probeRecovery } from "./health-probe.js";
import type { FaultKind } from "./history.js";
import type { NodeFleet } from "./node-fleet.js";
import type { Random, Range } from "./random.js";
import type { Recorder } from "./recorder.js";
import type { RedisTarget } from "./redis-target.js";

/** What a fault will do, as the history tells it. */
interface FaultPlan {
  kind: FaultKind;
  target: string;
  plannedMs: number;
}

export interface NemesisSettings {
  /** SIGSTOP for this long (log-uniform: as many short pauses as long ones), then SIGCONT. */
  pauseMs: Range;
  /** A killed node stays down this long before it is restarted on its port. */
  killDowntimeMs: Range;
  /** Quiet time between the end of a fault's recovery and the next fault. */
  gapMs: Range;
  /** Relative chance of each kind of fault; `redis` is the Redis fault of the mode. */
  weights: { pause_node: number; kill_node: number; redis: number };
  /** How long /healthz is polled after a fault before a node counts as not recovered. */
  recoveryGiveUpMs: number;
}

export const NEMESIS_DEFAULTS: NemesisSettings = {
  pauseMs: { min: 500, max: 8000 },
  killDowntimeMs: { min: 0, max: 2000 },
  gapMs: { min: 1500, max: 5000 },
  weights: { pause_node: 2, kill_node: 1, redis: 1 },
  recoveryGiveUpMs: 30_000,
};

/**
 * Injects one fault at a time, chosen with its seeded stream: pause a node, kill -9 and restart a node, or
 * the mode's Redis fault. After each, it records when every node answers /healthz again, lets a Redis Cluster
 * heal, and waits a gap. It starts no fault once `deadline` has passed; the one under way runs to its end.
 */
export class Nemesis {
  private faults = 0;

  constructor(
    private readonly random: Random,
    private readonly fleet: NodeFleet,
    private readonly redis: RedisTarget,
    private readonly recorder: Recorder,
    private readonly settings: NemesisSettings,
  ) {}

  async run(deadline: Deadline): Promise<void> {
    await deadline.sleep(this.draw(this.settings.gapMs), true);
    while (!deadline.passed) {
      const fault = ++this.faults;
      try {
        await this.inflict(fault, deadline);
      } catch (error) {
        this.recorder.record({
          type: "harness_error",
          message: `fault ${fault} could not be carried out: ${(error as Error).message}`,
        });
        return;
      }
      await deadline.sleep(this.draw(this.settings.gapMs), true);
    }
  }

  private async inflict(fault: number, deadline: Deadline): Promise<void> {
    const choice = this.random.weighted(this.settings.weights);
    let described: FaultPlan;
    if (choice === "redis") {
      const planned = this.redis.plan(this.random);
      described = planned;
      await this.redis.inflict(planned, deadline, () => this.started(fault, planned));
    } else {
      // A pause is SIGSTOP ... SIGCONT; a kill is kill -9 ... a new process on the same port.
      const pause = choice === "pause_node";
      const node = this.random.int(this.fleet.count);
      const plannedMs = pause ? this.logDraw(this.settings.pauseMs) : this.draw(this.settings.killDowntimeMs);
      described = { kind: choice, target: `node ${node}`, plannedMs };
      this.started(fault, described);
      if (pause) this.fleet.pause(node);
      else await this.fleet.kill9(node);
      await deadline.sleep(plannedMs);
      if (pause) this.fleet.resume(node);
      else this.fleet.restart(node);
    }
    const ended = this.recorder.record({
      type: "fault_end",
      fault,
      kind: described.kind,
      target: described.target,
    });
    await Promise.all([
      probeRecovery(
        fault,
        ended.at,
        this.fleet,
        this.recorder,
        this.settings.recoveryGiveUpMs,
        deadline.signal,
      ),
      this.redis.settle(),
    ]);
  }

  private started(fault: number, { kind, target, plannedMs }: FaultPlan): void {
    this.recorder.record({ type: "fault_start", fault, kind, target, plannedMs });
  }

  private draw(range: Range): number {
    return Math.round(this.random.between(range.min, range.max));
  }

  private logDraw(range: Range): number {
    return Math.round(this.random.logBetween(range.min, range.max));
  }
}
