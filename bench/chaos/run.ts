import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { commit, machine } from "../report/environment.js";
import { CHAOS_DEFAULTS, runChaos } from "./chaos.js";
import { summarizeNodeLog } from "./node-logs.js";
import { renderChaosMarkdown, renderSummary } from "./report.js";

const USAGE = `npm run chaos [-- options]
  --minutes=N        how long clients act and the nemesis strikes (default 10)
  --seed=S           seed of the nemesis's and the clients' choices (default 1)
  --mode=M           standalone (one redis-server) or cluster (3 masters + 3 replicas) (default standalone)
  --out=DIR          where chaos-<mode>-latest.md goes (default bench/results); the history and the
                     node logs go to a temp dir named in the report
Exits 0 on a clean verdict, 1 on any violation, 2 if the run could not be carried out.`;

const { values } = parseArgs({
  options: {
    minutes: { type: "string" },
    seed: { type: "string" },
    mode: { type: "string" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const minutes = Number(values.minutes ?? CHAOS_DEFAULTS.durationMs / 60_000);
if (!Number.isFinite(minutes) || minutes < 0.1 || minutes > 24 * 60)
  fail("--minutes must be a number from 0.1 to 1440");
const seed = Number(values.seed ?? CHAOS_DEFAULTS.seed);
if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1)
  fail("--seed must be an integer from 0 to 4294967295");
const mode = values.mode ?? CHAOS_DEFAULTS.mode;
if (mode !== "standalone" && mode !== "cluster") fail("--mode must be standalone or cluster");
const outDir = values.out ?? fileURLToPath(new URL("../../../bench/results/", import.meta.url));

// The first Ctrl-C (or SIGTERM) ends the run early and cleans up (the verdict then fails); a second exits at once.
const abort = new AbortController();
const onSignal = () => {
  if (abort.signal.aborted) process.exit(130);
  console.error("\nstopping: cleaning up (again to exit at once)");
  abort.abort();
};
process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);

const box = machine();
console.log(`chaos: ${mode}, seed ${seed}, ${minutes} min; Node ${box.node}, ${box.cores} cores`);
let result: Awaited<ReturnType<typeof runChaos>>;
try {
  result = await runChaos({
    ...CHAOS_DEFAULTS,
    mode,
    seed,
    durationMs: minutes * 60_000,
    progress: (line) => console.log(line),
    signal: abort.signal,
  });
} catch (error) {
  console.error(`chaos: the run could not be carried out: ${(error as Error).stack ?? String(error)}`);
  process.exit(2);
}

const environment = `Node ${box.node} on ${box.cores} cores (${box.cpu}), commit ${commit()}; Redis, the nodes and the driver (clients, nemesis, recorder) in processes of their own on one machine, loopback only.`;
const logs = result.logFiles.map((file) => summarizeNodeLog(file));
const markdown = renderChaosMarkdown(result, environment, logs);
mkdirSync(outDir, { recursive: true });
const reportFile = join(outDir, `chaos-${mode}-latest.md`);
writeFileSync(`${reportFile}.tmp`, markdown);
renameSync(`${reportFile}.tmp`, reportFile);
console.log(`\n${renderSummary(result)}\n`);
// The first violation of each rule: the report lists more.
const firstOfEachRule = new Map([...result.verdict.violations].reverse().map((v) => [v.rule, v]));
for (const violation of [...firstOfEachRule.values()].reverse())
  console.log(`- first ${violation.rule}: ${violation.message}`);
console.log(`\nreport: ${reportFile}\nhistory and node logs: ${result.runDir}`);
process.exit(result.verdict.passed ? 0 : 1);
