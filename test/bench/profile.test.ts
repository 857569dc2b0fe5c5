import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runSuite } from "../../bench/harness/suite.js";
import { tinySuite } from "../../bench/harness/suite-config.js";
import { selfTimes } from "../../bench/profile-summary.js";

test("WEST_BENCH_PROFILE gives one CPU profile per measured phase, and the summary reads them", {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "west-bench-profile-"));
  process.env.WEST_BENCH_PROFILE = dir;
  try {
    const config = tinySuite(["west"]);
    await runSuite({ ...config, connections: { ...config.connections, counts: [] } }, () => undefined);
    const files = readdirSync(dir).sort();
    assert.deepEqual(files, [
      "channels-5.cpuprofile",
      "fanout-10-west-json-1-in-flight.cpuprofile",
      "fanout-10-west-json-5-in-flight.cpuprofile",
      "p2p-5.cpuprofile",
    ]);
    for (const file of files) {
      const { busyMicros, entries } = selfTimes(JSON.parse(readFileSync(join(dir, file), "utf8")));
      assert.ok(busyMicros > 0, file);
      const shares = entries.reduce((sum, entry) => sum + entry.share, 0);
      assert.ok(Math.abs(shares - 1) < 1e-9, `${file}: shares add up to ${shares}`);
    }
  } finally {
    delete process.env.WEST_BENCH_PROFILE;
    rmSync(dir, { recursive: true, force: true });
  }
});
