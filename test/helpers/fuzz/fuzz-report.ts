import { PROTOCOL_NAMES } from "../../../src/protocols/codec.js";
import type { FuzzResult } from "./run-fuzz.js";

/** The server's resident memory before and after, when it runs in a process of its own. */
export interface ServerMemory {
  rssBeforeBytes: number;
  rssAfterBytes: number;
}

const number = (n: number) => n.toLocaleString("en-US");
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const table = (head: [string, string], rows: [string, string][]) =>
  [`| ${head[0]} | ${head[1]} |`, "| --- | ---: |", ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join("\n");

/** The run as markdown: frames per endpoint, replies by event, closes by code, good clients, duration. */
export function renderFuzzReport(result: FuzzResult, memory?: ServerMemory): string {
  const { stats, good } = result;
  const sent = PROTOCOL_NAMES.map((protocol): [string, string] => {
    const { text, binary } = stats.sent[protocol];
    return [protocol, `${number(text + binary)} (${number(text)} text, ${number(binary)} binary)`];
  });
  const total = PROTOCOL_NAMES.reduce((sum, p) => sum + stats.sent[p].text + stats.sent[p].binary, 0);
  const byCount = (counts: Map<string | number, number>) =>
    [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]): [string, string] => [String(key), number(n)]);
  const lines = [
    `Seed ${result.seed}, ${number(total)} fuzz frames in ${(result.durationMs / 1000).toFixed(1)} s ` +
      `(${number(Math.round(total / (result.durationMs / 1000)))} frames/s), ${number(stats.connections)} fuzzing connections; ` +
      (result.failures.length === 0 ? "no failure." : `${result.failures.length} failures.`),
    "",
    table(["frames sent to", "frames"], [...sent, ["all", number(total)]]),
    "",
    table(["reply", "count"], byCount(stats.replies)),
    "",
    table(
      ["close code", "count"],
      [
        ...byCount(stats.closes),
        ["frames that caused their due close", number(stats.expectedCloses)],
        ["frames cut short by a close the server chose", number(stats.cutByClose)],
      ],
    ),
    "",
    table(
      ["well-behaved clients (text, json, pb)", ""],
      [
        ["messages sent (publish + send)", number(good.sent)],
        ["deliveries due (3 per publish, 1 per send)", number((good.sent / 2) * 3 + good.sent / 2)],
        ["deliveries received, in order", number(good.received)],
        ["deliveries to fuzzing clients", number(stats.deliveries)],
      ],
    ),
  ];
  if (memory !== undefined)
    lines.push("", `Server RSS: ${mib(memory.rssBeforeBytes)} before, ${mib(memory.rssAfterBytes)} after.`);
  if (result.failures.length > 0)
    lines.push("", "Failures:", ...result.failures.map((failure) => `- ${failure}`));
  return lines.join("\n");
}
