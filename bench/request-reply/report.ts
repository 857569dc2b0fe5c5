import { median, type RequestReplyReport } from "./section.js";

const micros = (value: number) => `${value < 10 ? value.toFixed(2) : value.toFixed(1)} µs`;
const integer = (value: number) => Math.round(value).toLocaleString("en-US");
const row = (cells: string[]) => `| ${cells.join(" | ")} |`;

/** Request/reply against NATS: at most this times NATS's server CPU per round trip. */
export const REQUEST_REPLY_TARGET = 1.5;

/** The section of the markdown report: round trips per system, the targets, and the HTTP API's publish. */
export function requestReplyMarkdown(report: RequestReplyReport): string[] {
  const { config } = report;
  const lines = [
    "## Request/reply and the HTTP API",
    "",
    `${config.pairs} requesters, each asking an owner of its own (WEST: a registered channel; NATS: a subject with one subscriber and the requester's inbox), one request in flight each, ${config.roundTrips} round trips each per measured phase, after a warm-up phase; 64-byte payloads both ways. Across nodes: requesters on node 1, owners on node 2. CPU of every server process (and redis-server) per round trip; medians of ${config.repeats} interleaved runs.`,
    "",
    row(["system", "CPU per round trip", "round trips/s", "p50 / p99 (ms)"]),
    row(["---", "---", "---", "---"]),
  ];
  const medians = new Map<string, number>();
  for (const result of report.requestReply) {
    if (result.runs.length === 0) continue;
    const cpu = median(result.runs.map((run) => run.cpuMicrosPerRoundTrip));
    medians.set(result.system, cpu);
    lines.push(
      row([
        result.label,
        micros(cpu),
        integer(median(result.runs.map((run) => run.roundTripsPerSecond))),
        `${median(result.runs.map((run) => run.p50Ms)).toFixed(2)} / ${median(result.runs.map((run) => run.p99Ms)).toFixed(2)}`,
      ]),
    );
  }
  lines.push(
    "",
    row(["target", "ratio of medians", `at most ${REQUEST_REPLY_TARGET}`]),
    row(["---", "---", "---"]),
  );
  for (const [west, nats, where] of [
    ["west-local", "nats-local", "one node"],
    ["west-redis", "nats-cluster", "across two nodes"],
  ] as const) {
    const a = medians.get(west);
    const b = medians.get(nats);
    if (a === undefined || b === undefined) continue;
    const value = a / b;
    lines.push(
      row([
        `${where}: WEST ÷ NATS, CPU per round trip`,
        value.toFixed(2),
        value <= REQUEST_REPLY_TARGET ? "yes" : "**no**",
      ]),
    );
  }
  const [api, ws] = report.apiPublish;
  if (api !== undefined && ws !== undefined && api.runs.length > 0 && ws.runs.length > 0) {
    const { subscribers, publishes, inFlight } = config.apiPublish;
    lines.push(
      "",
      `HTTP API publish on WEST's one node: ${integer(publishes)} publishes to ${integer(subscribers)} WebSocket subscribers, ${inFlight} in flight, through POST /api/publish (fetch, kept-alive connections) and, for comparison, through one WebSocket client; server CPU per delivery.`,
      "",
      row(["publisher", "CPU per delivery", "deliveries/s"]),
      row(["---", "---", "---"]),
    );
    for (const entry of [api, ws])
      lines.push(
        row([
          entry.via,
          micros(median(entry.runs.map((run) => run.cpuMicrosPerDelivery))),
          integer(median(entry.runs.map((run) => run.deliveriesPerSecond))),
        ]),
      );
  }
  return [...lines, ""];
}
