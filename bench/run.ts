import { availableParallelism } from "node:os";
import { inProcessFanout, inProcessSends, type ScenarioResult } from "./in-process.js";

function row(result: ScenarioResult): string {
  const bytes = result.bytesPerUnit === undefined ? "n/a" : result.bytesPerUnit.toFixed(1);
  return `| ${result.scenario} | ${result.nanosPerUnit.toFixed(1)} ns | ${bytes} B | ${Math.round(result.unitsPerSecond).toLocaleString("en-US")} ${result.unit}/s |`;
}

console.log(
  `WEST-TS benchmarks: Node ${process.version}, ${availableParallelism()} cores, ${process.platform}/${process.arch}`,
);
console.log("| scenario | time per unit | heap allocated per unit | rate |");
console.log("|---|---|---|---|");
console.log(row(await inProcessFanout()));
console.log(row(await inProcessSends()));
