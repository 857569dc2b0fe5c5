import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import WebSocket from "ws";
import { Counters } from "../../src/core/counters.js";
import type { Session } from "../../src/core/session.js";
import { type OutgoingQueue, SlowConsumers } from "../../src/transport/slow-consumers.js";
import { capturingLogger } from "../helpers/log-capture.js";

const LIMITS = { maxQueuedBytes: 1000, stallMs: 1000 };
/** How often the rules sweep with LIMITS: stallMs / 4. */
const SWEEP_MS = 250;

/** A socket that records what the rules do to it. */
class FakeSocket extends EventEmitter {
  readyState: number = WebSocket.OPEN;
  terminated = false;
  terminate(): void {
    this.terminated = true;
  }
}

/**
 * An outgoing queue whose byte counts a test sets: `offered` (bytes queued so far), the connection's
 * `writableLength` (bytes not yet written) and, as on a net.Socket, `_handle.writeQueueSize` (bytes of the write in
 * flight the kernel has not taken).
 */
class FakeQueue implements OutgoingQueue {
  readonly socket: WebSocket;
  readonly connection: Duplex;
  readonly session: Session;
  readonly protocol = "json";
  offered = 0;
  progressAt = 0;
  completed = 0;
  pending = 0;
  readonly closes: [number, string][] = [];
  sessionClosed = false;
  readonly fakeSocket = new FakeSocket();
  readonly fakeConnection: { writableLength: number; _handle: { writeQueueSize: number } | null } = {
    writableLength: 0,
    _handle: { writeQueueSize: 0 },
  };

  constructor() {
    this.socket = this.fakeSocket as unknown as WebSocket;
    this.connection = this.fakeConnection as unknown as Duplex;
    this.session = {
      key: "slow-key",
      id: 7,
      close: async () => {
        this.sessionClosed = true;
      },
    } as unknown as Session;
  }

  /** Sets the byte counts: queued so far, not yet written, and not yet taken by the kernel. */
  bytes(offered: number, unwritten: number, kernelBound: number): void {
    this.offered = offered;
    this.fakeConnection.writableLength = unwritten;
    if (this.fakeConnection._handle !== null) this.fakeConnection._handle.writeQueueSize = kernelBound;
  }

  close(code: number, reason: string): void {
    this.closes.push([code, reason]);
    this.fakeSocket.readyState = WebSocket.CLOSING;
  }

  get cut(): boolean {
    return this.closes.length > 0;
  }
}

/** Moves the fake clock on by `ms`, a step at a time, so that each timer sees the time it was due at. */
function elapse(ms: number): void {
  for (let left = ms; left > 0; left -= 50) mock.timers.tick(Math.min(50, left));
}

describe("SlowConsumers: the byte limit", () => {
  const rules = new SlowConsumers(LIMITS, capturingLogger().logger, new Counters());
  rules.stop();

  it("a delivery that takes a backlog up to the limit passes; one byte more does not", () => {
    assert.equal(rules.exceeds(600, 400), false);
    assert.equal(rules.exceeds(600, 401), true);
  });

  it("an empty queue lets one frame larger than the limit through; a queue with a backlog does not", () => {
    assert.equal(rules.exceeds(0, 5000), false);
    assert.equal(rules.exceeds(1, 5000), true);
    assert.equal(rules.exceeds(1, 1000), true);
  });
});

describe("SlowConsumers, on a fake clock", () => {
  let rules: SlowConsumers;
  let counters: Counters;
  let log: ReturnType<typeof capturingLogger>;

  beforeEach(() => {
    mock.timers.enable({ apis: ["setInterval", "setTimeout", "Date"], now: 0 });
    counters = new Counters();
    log = capturingLogger();
    rules = new SlowConsumers(LIMITS, log.logger, counters);
  });

  afterEach(() => {
    rules.stop();
    mock.timers.reset();
  });

  describe("the stall rule", () => {
    it("a queue whose bytes do not move for stallMs is cut with 4001 slow, counted and logged", () => {
      const queue = new FakeQueue();
      queue.bytes(5000, 5000, 3000);
      rules.watch(queue);
      // The first sweep (at 250 ms) sees the bytes; at 1000 ms they have not moved for 750 ms, at 1250 ms for stallMs.
      elapse(LIMITS.stallMs);
      assert.equal(queue.cut, false, "not cut before stallMs without movement");
      elapse(SWEEP_MS);
      assert.deepEqual(queue.closes, [[4001, "slow"]]);
      assert.equal(queue.sessionClosed, true, "its session is closed at once");
      assert.equal(counters.slowConsumerCuts, 1);
      const line = log.lines.find((each) => each.msg === "slow consumer cut");
      assert.deepEqual(
        {
          level: line?.level,
          key: line?.key,
          protocol: line?.protocol,
          rule: line?.rule,
          queuedBytes: line?.queuedBytes,
        },
        { level: 40, key: "slow-key", protocol: "json", rule: "stall", queuedBytes: 5000 },
      );
    });

    it("a queue whose writes complete is not cut, however long it stays non-empty", () => {
      const queue = new FakeQueue();
      rules.watch(queue);
      for (let offered = 5000; offered < 5000 + 40 * 100; offered += 100) {
        queue.bytes(offered, 5000, 3000);
        elapse(SWEEP_MS);
      }
      assert.equal(queue.cut, false);
    });

    it("a queue whose write in flight the kernel takes bit by bit is not cut", () => {
      const queue = new FakeQueue();
      rules.watch(queue);
      for (let kernelBound = 3000; kernelBound > 3000 - 40; kernelBound--) {
        queue.bytes(5000, 5000, kernelBound);
        elapse(SWEEP_MS);
      }
      assert.equal(queue.cut, false);
    });

    it("a queue that empties starts afresh when bytes come back", () => {
      const queue = new FakeQueue();
      queue.bytes(5000, 5000, 3000);
      rules.watch(queue);
      elapse(3 * SWEEP_MS);
      queue.bytes(5000, 0, 0);
      elapse(SWEEP_MS);
      // The same counts as before it emptied: only the reset tells the two apart.
      queue.bytes(5000, 5000, 3000);
      elapse(LIMITS.stallMs);
      assert.equal(queue.cut, false, "stallMs since it was seen again is not yet a stall");
      elapse(SWEEP_MS);
      assert.equal(queue.cut, true);
    });

    it("without Node's count of kernel-bound bytes (no handle), a queue whose writes do not complete is cut", () => {
      const queue = new FakeQueue();
      queue.fakeConnection._handle = null;
      queue.bytes(5000, 5000, 0);
      rules.watch(queue);
      elapse(LIMITS.stallMs + SWEEP_MS);
      assert.equal(queue.cut, true);
    });

    it("a queue no longer watched is not swept", () => {
      const queue = new FakeQueue();
      queue.bytes(5000, 5000, 3000);
      rules.watch(queue);
      rules.forget(queue);
      elapse(5 * LIMITS.stallMs);
      assert.equal(queue.cut, false);
    });

    it("stop() stops the sweeps", () => {
      const queue = new FakeQueue();
      queue.bytes(5000, 5000, 3000);
      rules.watch(queue);
      rules.stop();
      elapse(5 * LIMITS.stallMs);
      assert.equal(queue.cut, false);
    });
  });

  describe("a cut connection", () => {
    it("one that does not read its backlog and the close is terminated stallMs after the cut", () => {
      const queue = new FakeQueue();
      rules.cut(queue, "bytes");
      assert.deepEqual(queue.closes, [[4001, "slow"]]);
      elapse(LIMITS.stallMs - 50);
      assert.equal(queue.fakeSocket.terminated, false);
      elapse(50);
      assert.equal(queue.fakeSocket.terminated, true);
    });

    it("one that closes in time is not terminated", () => {
      const queue = new FakeQueue();
      rules.cut(queue, "bytes");
      elapse(LIMITS.stallMs / 2);
      queue.fakeSocket.readyState = WebSocket.CLOSED;
      queue.fakeSocket.emit("close");
      elapse(LIMITS.stallMs);
      assert.equal(queue.fakeSocket.terminated, false);
    });

    it("a socket no longer open is not cut", () => {
      const queue = new FakeQueue();
      queue.fakeSocket.readyState = WebSocket.CLOSING;
      rules.cut(queue, "bytes");
      assert.equal(queue.cut, false);
      assert.equal(queue.sessionClosed, false);
      assert.equal(counters.slowConsumerCuts, 0);
    });

    it("a connection is cut once, however many deliveries find it over the limit", () => {
      const queue = new FakeQueue();
      rules.cut(queue, "bytes");
      rules.cut(queue, "bytes");
      assert.deepEqual(queue.closes, [[4001, "slow"]]);
      assert.equal(counters.slowConsumerCuts, 1);
    });
  });
});
