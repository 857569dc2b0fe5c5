import { availableParallelism } from "node:os";
import { inProcessFanout, inProcessSends, type ScenarioResult } from "./in-process.js";
import { redisModeScenarios } from "./redis-modes.js";
import { wsFanout } from "./ws-fanout.js";

const rate = (value: number) => Math.round(value).toLocaleString("en-US");

function row(result: ScenarioResult): string {
  const bytes = result.bytesPerUnit === undefined ? "n/a" : result.bytesPerUnit.toFixed(1);
  return `| ${result.scenario} | ${result.nanosPerUnit.toFixed(1)} ns | ${bytes} B | ${rate(result.unitsPerSecond)} ${result.unit}/s |`;
}

console.log(
  `WEST-TS benchmarks: Node ${process.version}, ${availableParallelism()} cores, ${process.platform}/${process.arch}`,
);
console.log("\n| in-process scenario | time per unit | heap allocated per unit | rate |");
console.log("|---|---|---|---|");
console.log(row(await inProcessFanout()));
console.log(row(await inProcessSends()));

console.log(
  "\n| WebSocket scenario | deliveries/s | server CPU per delivery | load generator CPU per delivery |",
);
console.log("|---|---|---|---|");
for (const inFlight of [1, 100]) {
  const result = await wsFanout(500, 2_000, inFlight);
  console.log(
    `| ${result.scenario} | ${rate(result.deliveriesPerSecond)} | ${result.serverCpuMicrosPerDelivery.toFixed(2)} us | ${result.clientCpuMicrosPerDelivery.toFixed(2)} us |`,
  );
}

console.log(
  "\n| Redis distribution | scenario | deliveries/s | WEST CPU per delivery | vs local | Redis CPU per message |",
);
console.log("|---|---|---|---|---|---|");
const modes = await redisModeScenarios().catch((error: unknown) => {
  console.log(
    `| skipped | ${error instanceof Error ? error.message : String(error)} (is redis-server installed?) | | | | |`,
  );
  return [];
});
for (const result of modes) {
  const local = modes.find((m) => m.scenario === result.scenario && m.mode.startsWith("local"));
  const ratio =
    local === undefined
      ? ""
      : `${(result.westCpuMicrosPerDelivery / local.westCpuMicrosPerDelivery).toFixed(1)}x`;
  console.log(
    `| ${result.mode} | ${result.scenario} | ${rate(result.deliveriesPerSecond)} | ${result.westCpuMicrosPerDelivery.toFixed(2)} us | ${ratio} | ${result.redisCpuMicrosPerMessage.toFixed(1)} us |`,
  );
}
