import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";

/**
 * Summarizes V8 CPU profiles (`WEST_BENCH_PROFILE=DIR npm run bench`): the functions with the most self time,
 * as a share of the time the process was not idle. `npm run bench:profile -- DIR [--top=N]`.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  micros: number;
  share: number;
}

/** Self time per function (name and place), busiest first; idle time is left out of the shares. */
export function selfTimes(profile: CpuProfile): { busyMicros: number; entries: SelfTime[] } {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const micros = new Map<string, { name: string; where: string; micros: number }>();
  let busyMicros = 0;
  profile.samples.forEach((nodeId, index) => {
    const node = byNode.get(nodeId);
    const delta = profile.timeDeltas[index + 1] ?? 0;
    if (node === undefined || node.callFrame.functionName === "(idle)") return;
    busyMicros += delta;
    const name = node.callFrame.functionName || "(anonymous)";
    const where = placeOf(node.callFrame.url, node.callFrame.lineNumber);
    const key = `${name} ${where}`;
    const entry = micros.get(key) ?? { name, where, micros: 0 };
    entry.micros += delta;
    micros.set(key, entry);
  });
  const entries = [...micros.values()]
    .map((entry) => ({ ...entry, share: busyMicros === 0 ? 0 : entry.micros / busyMicros }))
    .sort((a, b) => b.micros - a.micros);
  return { busyMicros, entries };
}

/** `node:internal/...` and `file:///.../node_modules/ws/lib/sender.js` read better as `ws/lib/sender.js`. */
function placeOf(url: string, line: number): string {
  if (url === "") return "";
  const short = url
    .replace(/^file:\/\/.*\/node_modules\//, "")
    .replace(/^file:\/\/.*\/build\//, "")
    .replace(/^node:/, "");
  return `${short}:${line + 1}`;
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "12" } },
  });
  const dir = positionals[0];
  if (dir === undefined) {
    console.error("usage: npm run bench:profile -- DIR [--top=N]   (DIR: where WEST_BENCH_PROFILE wrote)");
    process.exit(2);
  }
  const files = readdirSync(dir)
    .filter((file) => file.endsWith(".cpuprofile"))
    .map((file) => join(dir, file))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  for (const file of files) {
    const { busyMicros, entries } = selfTimes(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
    console.log(`\n${file}: ${(busyMicros / 1e6).toFixed(2)} s busy`);
    for (const entry of entries.slice(0, Number(values.top))) {
      console.log(`  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.name}  ${entry.where}`);
    }
  }
}

if (process.argv[1]?.endsWith("profile-summary.js")) main();
