import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CliProcess, startWestProcess } from "../helpers/cli-process.js";
import { residentBytes, StreamPublisher, StreamSubscriber } from "../helpers/pb-stream.js";
import { pbFrame, protocolClient } from "../helpers/ws-client.js";

const MiB = 1024 * 1024;
const MESSAGE_BYTES = 64 * 1024;

async function westProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ west: CliProcess; wsUrl: string }> {
  const { west, port } = await startWestProcess(["--port", "0", ...args], { env });
  return { west, wsUrl: `ws://127.0.0.1:${port}` };
}

/** The server's `slow consumer cut` log line, parsed. */
async function cutLine(west: CliProcess, timeoutMs: number): Promise<Record<string, unknown>> {
  return JSON.parse(await west.nextLine("stdout", '"msg":"slow consumer cut"', timeoutMs));
}

/** Samples the RSS of process `pid` every 50 ms until stopped; returns the highest. */
function rssPeak(pid: number): { stop(): number } {
  let peak = residentBytes(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, residentBytes(pid));
  }, 50);
  // A test that fails before stop() must still let its file end.
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, residentBytes(pid));
    },
  };
}

function allSucceeded(publisher: StreamPublisher, count: number): void {
  assert.equal(publisher.replies.length, count);
  assert.ok(publisher.replies.every((event) => event === "publication_succeeded"));
}

describe("slow consumers", () => {
  it("a subscriber that stops reading is cut with 4001 at the byte limit while the others get all 100 MB, and the server's memory stays bounded", async (t) => {
    const { west, wsUrl } = await westProcess([]);
    const count = 1600;
    const normal = await Promise.all(
      [1, 2, 3].map((n) => StreamSubscriber.open(wsUrl, `sc-sub${n}`, "sc-big", MESSAGE_BYTES)),
    );
    const slow = await StreamSubscriber.open(wsUrl, "sc-slow", "sc-big", MESSAGE_BYTES);
    slow.tcp.pause();
    const publisher = await StreamPublisher.open(wsUrl, "sc-pub");
    const baseline = residentBytes(west.pid);
    const rss = rssPeak(west.pid);

    const published = publisher.publish("sc-big", { count, bytes: MESSAGE_BYTES, window: 16 });
    const cut = await cutLine(west, 60_000);
    slow.tcp.resume();
    await published;
    await Promise.all(normal.map((sub) => sub.until(() => sub.received === count, 30_000, "every delivery")));
    const peak = rss.stop();

    allSucceeded(publisher, count);
    for (const sub of normal) {
      assert.equal(sub.fault, undefined);
      assert.equal(sub.received, count);
      assert.equal(sub.closeCode, undefined);
    }
    assert.deepEqual(
      { key: cut.key, protocol: cut.protocol, rule: cut.rule },
      { key: "sc-slow", protocol: "pb", rule: "bytes" },
    );
    assert.ok(Number(cut.queuedBytes) > 0 && Number(cut.queuedBytes) <= MiB, `queued ${cut.queuedBytes}`);
    assert.deepEqual(await slow.closed(10_000), { code: 4001, reason: "slow" });
    assert.equal(slow.fault, undefined, "what the cut subscriber got came in order and intact");
    assert.ok(slow.received < count);
    // Without the cut the server holds all 100 MB for the subscriber that does not read (measured: +148 MiB,
    // against +36 to +40 MiB with it).
    const grewMiB = (peak - baseline) / MiB;
    t.diagnostic(`server RSS: baseline ${(baseline / MiB).toFixed(1)} MiB, peak +${grewMiB.toFixed(1)} MiB`);
    assert.ok(grewMiB < 80, `the server's RSS grew by ${grewMiB.toFixed(1)} MiB`);
  });

  it("a subscriber whose queue does not move for slowConsumerStallMs is cut, its registration freed, and dropped if it never reads", async () => {
    const { west, wsUrl } = await westProcess(["--slow-consumer-bytes", String(1024 * MiB)], {
      WEST_SLOW_CONSUMER_STALL_MS: "500",
    });
    const stalled = await StreamSubscriber.open(wsUrl, "st-stalled", "st-ch", MESSAGE_BYTES);
    stalled.ws.send(pbFrame({ event: "register", channel: "st-reg" }));
    await stalled.until(() => stalled.replies.includes("registration_succeeded"), 5000, "registered");
    stalled.tcp.pause();
    const publisher = await StreamPublisher.open(wsUrl, "st-pub");
    const count = 480;
    // 30 MB: more than the kernel's socket buffers take, so that bytes wait in the server.
    await publisher.publish("st-ch", { count, bytes: MESSAGE_BYTES, window: 16 });
    allSucceeded(publisher, count);

    const cut = await cutLine(west, 10_000);
    assert.deepEqual({ key: cut.key, rule: cut.rule }, { key: "st-stalled", rule: "stall" });
    const other = await protocolClient(wsUrl, "json", "st-other");
    assert.equal(await other.event({ event: "register", channel: "st-reg" }), "registration_succeeded");
    await west.nextLine(
      "stdout",
      (line) => line.includes('"msg":"disconnected"') && line.includes('"key":"st-stalled"'),
      10_000,
    );
  });

  it("a subscriber that reads in bursts but keeps up is not cut", async () => {
    const { west, wsUrl } = await westProcess([
      "--slow-consumer-stall-ms",
      "2000",
      "--slow-consumer-bytes",
      String(32 * MiB),
    ]);
    const count = 640;
    const bursty = await StreamSubscriber.open(wsUrl, "bu-bursty", "bu-ch", MESSAGE_BYTES);
    const steady = await StreamSubscriber.open(wsUrl, "bu-steady", "bu-ch", MESSAGE_BYTES);
    const publisher = await StreamPublisher.open(wsUrl, "bu-pub");
    // Stops reading for 500 ms at a time (well below the stall time, also when this process's timers run late),
    // then reads for 500 ms: at 16 MiB/s, more than the kernel's socket buffers hold piles up in the server
    // during a pause (measured: up to 10 MB), and drains when it reads again.
    let timer: NodeJS.Timeout | undefined;
    const pause = () => {
      bursty.tcp.pause();
      timer = setTimeout(read, 500);
    };
    const read = () => {
      bursty.tcp.resume();
      timer = setTimeout(pause, 500);
    };
    pause();
    try {
      await publisher.publish("bu-ch", { count, bytes: MESSAGE_BYTES, window: 16, bytesPerSecond: 16 * MiB });
    } finally {
      clearTimeout(timer);
      bursty.tcp.resume();
    }
    await bursty.until(() => bursty.received === count, 20_000, "every delivery");
    await steady.until(() => steady.received === count, 20_000, "every delivery");
    allSucceeded(publisher, count);
    assert.equal(bursty.fault, undefined);
    assert.equal(bursty.closeCode, undefined);
    assert.equal(steady.fault, undefined);
    assert.ok(!west.lines.stdout.some((line) => line.includes("slow consumer cut")), west.output());
  });
});
