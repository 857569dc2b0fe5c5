import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { renderFuzzReport } from "../test/helpers/fuzz/fuzz-report.js";
import { runFuzz } from "../test/helpers/fuzz/run-fuzz.js";
import { forkNodeServer } from "./harness/server-process.js";
import { commit, machine } from "./report/environment.js";

const USAGE = `npm run fuzz [-- options]
  --frames=N     fuzz frames in all (default 1000000)
  --seed=N       the PRNG seed (default: random, printed)
  --fuzzers=N    fuzzing connections per endpoint (default 4)
  --window=N     frames in flight per fuzzing connection (default 32)
  --out=DIR      where fuzz-latest.md goes (default bench/results)`;

const { values } = parseArgs({
  options: {
    frames: { type: "string", default: "1000000" },
    seed: { type: "string" },
    fuzzers: { type: "string", default: "4" },
    window: { type: "string", default: "32" },
    out: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const positive = (text: string, what: string) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`--${what} must be a positive integer\n${USAGE}`);
  return n;
};
const frames = positive(values.frames, "frames");
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const outDir = values.out ?? fileURLToPath(new URL("../../bench/results/", import.meta.url));

console.log(`fuzzing ${frames.toLocaleString("en-US")} frames, seed ${seed} (repeat with --seed=${seed})`);
// The server runs as deployed, in a process of its own, so that its memory is its own.
const server = await forkNodeServer("west");
let exitCode = 1;
try {
  const rssBeforeBytes = server.rssBytes();
  const result = await runFuzz({
    url: server.url,
    frames,
    seed,
    fuzzersPerProtocol: positive(values.fuzzers, "fuzzers"),
    window: positive(values.window, "window"),
  });
  if (server.exited !== undefined) result.failures.push(server.exited);
  const report = renderFuzzReport(result, { rssBeforeBytes, rssAfterBytes: server.rssBytes() });
  const { node, cpu, cores } = machine();
  const markdown = `# Fuzz run (\`npm run fuzz -- --frames=${frames} --seed=${seed}\`)\n\n${new Date().toISOString()}, commit ${commit()}, Node ${node}, ${cores} cores (${cpu}).\n\n${report}\n`;
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, "fuzz-latest.md");
  writeFileSync(`${path}.tmp`, markdown);
  renameSync(`${path}.tmp`, path);
  console.log(`${report}\n\nwritten: ${path}`);
  exitCode = result.failures.length === 0 ? 0 : 1;
} finally {
  await server.stop();
}
process.exit(exitCode);
