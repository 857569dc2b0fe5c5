import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchReport } from "./bench-report.js";
import { renderCrossNodeChart } from "./cross-node-chart.js";
import { renderMarkdown } from "./markdown.js";
import { renderSvgChart } from "./svg-chart.js";

/** Writes a file whole or not at all: readers of latest.* never see half of one. */
function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/**
 * Writes the report into `dir` as JSON, markdown and SVG (and the cross-node section's chart as
 * *-cross-node.svg), each twice: under the run's timestamp and as latest.*. Returns the paths written.
 */
export function writeResults(report: BenchReport, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, "-");
  const files: [string, string][] = [
    [".json", `${JSON.stringify(report, null, 2)}\n`],
    [".md", renderMarkdown(report)],
    [".svg", renderSvgChart(report)],
  ];
  if (report.crossNode !== undefined)
    files.push(["-cross-node.svg", renderCrossNodeChart(report, report.crossNode)]);
  const written: string[] = [];
  for (const [suffix, text] of files) {
    for (const name of [stamp, "latest"]) {
      const path = join(dir, `${name}${suffix}`);
      writeAtomically(path, text);
      written.push(path);
    }
  }
  return written;
}
