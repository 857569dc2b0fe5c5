import assert from "node:assert/strict";
import { test } from "node:test";
import { requestReplyMarkdown } from "../../bench/request-reply/report.js";
import { runRequestReply, tinyRequestReply } from "../../bench/request-reply/section.js";
import { natsUnavailable } from "../../bench/systems/nats-installed.js";
import { redisAvailable } from "../helpers/redis.js";

test("the request/reply section takes WEST and NATS, one node and two, through every step, and the HTTP API's publish", async (t) => {
  const systems = ["west-local", "nats-local", "west-redis", "nats-cluster"].filter(
    (id) =>
      (!id.startsWith("nats") || natsUnavailable("") === undefined) &&
      (id !== "west-redis" || redisAvailable()),
  );
  if (systems.length < 4) t.diagnostic(`only ${systems.join(", ")}: nats-server or redis-server missing`);
  const config = tinyRequestReply(systems);
  const report = await runRequestReply(config, () => undefined);
  assert.deepEqual(
    report.requestReply.map((result) => result.system),
    systems,
  );
  for (const result of report.requestReply) {
    const [run] = result.runs;
    assert.ok(run !== undefined, result.system);
    assert.equal(run.roundTrips, config.pairs * config.roundTrips, result.system);
    assert.ok(run.cpuMicrosPerRoundTrip > 0 && run.roundTripsPerSecond > 0, result.system);
    assert.ok(run.p50Ms > 0 && run.p50Ms <= run.p99Ms, result.system);
  }
  for (const entry of report.apiPublish) {
    const [run] = entry.runs;
    assert.ok(run !== undefined, entry.via);
    assert.equal(run.deliveries, config.apiPublish.publishes * config.apiPublish.subscribers, entry.via);
    assert.ok(run.cpuMicrosPerDelivery > 0, entry.via);
  }
  const markdown = requestReplyMarkdown(report).join("\n");
  assert.match(markdown, /## Request\/reply and the HTTP API/);
  assert.match(markdown, /\| one node: WEST ÷ NATS, CPU per round trip \| \d+\.\d\d \| (yes|\*\*no\*\*) \|/);
  assert.match(markdown, /\| HTTP API \| [\d.]+ µs \|/);
});
