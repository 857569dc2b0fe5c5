import { readFileSync } from "node:fs";

/** What one node's log file says, in short: lines by level and its most frequent warnings and errors. */
export interface NodeLogSummary {
  file: string;
  lines: number;
  warnings: number;
  errors: number;
  /** The most frequent warn-or-worse messages, `[message, count]`, most frequent first. */
  frequent: [string, number][];
}

/** pino levels: 40 warn, 50 error, 60 fatal. */
const WARN = 40;
const ERROR = 50;

export function summarizeNodeLog(file: string, top = 5): NodeLogSummary {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    // No log (the node never started): nothing to tell.
  }
  const summary: NodeLogSummary = { file, lines: 0, warnings: 0, errors: 0, frequent: [] };
  const messages = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    summary.lines++;
    const entry = parse(line);
    if (entry === undefined || entry.level < WARN) continue;
    if (entry.level >= ERROR) summary.errors++;
    else summary.warnings++;
    messages.set(entry.msg, (messages.get(entry.msg) ?? 0) + 1);
  }
  summary.frequent = [...messages].sort((a, b) => b[1] - a[1]).slice(0, top);
  return summary;
}

function parse(line: string): { level: number; msg: string } | undefined {
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
    if (typeof entry.level !== "number") return undefined;
    return { level: entry.level, msg: typeof entry.msg === "string" ? entry.msg : "(no msg)" };
  } catch {
    // A line that is not JSON (a stack trace on stderr) counts as an error.
    return { level: ERROR, msg: line.slice(0, 120) };
  }
}
