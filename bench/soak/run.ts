import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { commit, machine } from "../report/environment.js";
import { runSoak, SOAK_DEFAULTS, type SoakResult } from "./soak.js";
import { renderSoakChart } from "./soak-chart.js";
import { renderSoakMarkdown } from "./soak-markdown.js";
import { DEFAULT_RULE } from "./verdict.js";

const USAGE = `npm run soak [-- options]
  --minutes=N               how long the load runs (default 10)
  --connections=N           WebSocket connections, a third per protocol (default 1000)
  --reconnect-fraction=F    share of connections that disconnect and reconnect at random (default 0.25)
  --sample-seconds=N        how often the server reports memory and event-loop delay (default 5)
  --max-growth-percent=P    RSS growth allowed over the last half, in % of its median (default ${DEFAULT_RULE.maxGrowthPercent}; at least ${DEFAULT_RULE.floorMiB} MiB)
  --out=DIR                 where soak-latest.{json,md,svg} go (default bench/results)
Exits 1 when a message was lost, an error happened or RSS did not level off.`;

const { values } = parseArgs({
  options: {
    minutes: { type: "string" },
    connections: { type: "string" },
    "reconnect-fraction": { type: "string" },
    "sample-seconds": { type: "string" },
    "max-growth-percent": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function number(
  value: string | undefined,
  fallback: number,
  what: string,
  low: number,
  high: number,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < low || parsed > high)
    throw new Error(`--${what} must be a number from ${low} to ${high}\n${USAGE}`);
  return parsed;
}

// Each connection is a socket in this process and one in the server: stay far below the 20,000 descriptors.
const connections = Math.round(number(values.connections, SOAK_DEFAULTS.connections, "connections", 3, 5000));
const minutes = number(values.minutes, SOAK_DEFAULTS.durationMs / 60_000, "minutes", 0.05, 120);
const options = {
  ...SOAK_DEFAULTS,
  durationMs: minutes * 60_000,
  connections,
  // A short run still sees several reconnects per churning connection and a few redraws of who churns.
  meanUptimeMs: Math.min(SOAK_DEFAULTS.meanUptimeMs, (minutes * 60_000) / 6),
  churnRedrawMs: Math.min(SOAK_DEFAULTS.churnRedrawMs, (minutes * 60_000) / 3),
  reconnectFraction: number(
    values["reconnect-fraction"],
    SOAK_DEFAULTS.reconnectFraction,
    "reconnect-fraction",
    0,
    1,
  ),
  sampleMs: number(values["sample-seconds"], SOAK_DEFAULTS.sampleMs / 1000, "sample-seconds", 0.2, 60) * 1000,
  rule: {
    ...DEFAULT_RULE,
    maxGrowthPercent: number(
      values["max-growth-percent"],
      DEFAULT_RULE.maxGrowthPercent,
      "max-growth-percent",
      0,
      100,
    ),
  },
  log: (line: string) => console.log(line),
};
const outDir = values.out ?? fileURLToPath(new URL("../../../bench/results/", import.meta.url));

const box = machine();
console.log(
  `soak: ${connections} connections for ${minutes} min, ${options.reconnectFraction * 100}% reconnecting; Node ${box.node}, ${box.cores} cores`,
);
const result = await runSoak(options);

const loadAverages = result.samples.map((s) => s.loadAverage);
const meanLoad = loadAverages.reduce((a, b) => a + b, 0) / Math.max(1, loadAverages.length);
const environment = `Node ${box.node} on ${box.cores} cores (${box.cpu}), commit ${commit()}; the server in its own process, the load generator in another, loopback only. The machine was shared with other work during the run (mean 1-minute load average ${meanLoad.toFixed(2)} on ${box.cores} cores): time a process waits for a core counts as event-loop delay, so the delays measure the machine as much as the server (compare the server's CPU use).`;
const report: SoakResult & { environment: string } = { ...result, environment };

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
mkdirSync(outDir, { recursive: true });
const markdown = renderSoakMarkdown(result, environment);
writeAtomically(join(outDir, "soak-latest.json"), `${JSON.stringify(report, null, 2)}\n`);
writeAtomically(join(outDir, "soak-latest.md"), `${markdown}`);
writeAtomically(join(outDir, "soak-latest.svg"), renderSoakChart(result));
console.log(`\n${markdown}`);
console.log(`written to ${join(outDir, "soak-latest.{json,md,svg}")}`);
process.exit(result.verdict.passed ? 0 : 1);
