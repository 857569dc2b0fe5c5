import WebSocket from "ws";
import {
  natsRequester,
  natsResponder,
  type RequesterClient,
  westRequester,
  westResponder,
} from "./clients.js";
import { BENCH_API_KEY, RR_SYSTEMS, type RrDeployment } from "./deployments.js";

export interface RequestReplyConfig {
  systems: string[];
  repeats: number;
  /** Requester/owner pairs, each requester with one request in flight... */
  pairs: number;
  /** ...this many times in a measured phase. */
  roundTrips: number;
  /** The HTTP API's publish to subscribers on WEST's one node, against the same publishes over a WebSocket. */
  apiPublish: { subscribers: number; publishes: number; inFlight: number };
}

export const REQUEST_REPLY: RequestReplyConfig = {
  systems: RR_SYSTEMS.map((system) => system.id),
  repeats: 3,
  pairs: 100,
  roundTrips: 100,
  apiPublish: { subscribers: 1_000, publishes: 500, inFlight: 10 },
};

export function tinyRequestReply(systems: string[]): RequestReplyConfig {
  return {
    systems,
    repeats: 1,
    pairs: 4,
    roundTrips: 5,
    apiPublish: { subscribers: 10, publishes: 20, inFlight: 4 },
  };
}

export interface RoundTripRun {
  roundTrips: number;
  roundTripsPerSecond: number;
  cpuMicrosPerRoundTrip: number;
  p50Ms: number;
  p99Ms: number;
}

export interface PublishRun {
  deliveries: number;
  deliveriesPerSecond: number;
  cpuMicrosPerDelivery: number;
}

export interface RequestReplyResult {
  system: string;
  label: string;
  runs: RoundTripRun[];
}

export interface RequestReplyReport {
  config: RequestReplyConfig;
  requestReply: RequestReplyResult[];
  /** WEST, 1 node: the same publishes through the HTTP API and through a WebSocket, interleaved. */
  apiPublish: { via: "HTTP API" | "WebSocket"; runs: PublishRun[] }[];
}

const PAYLOAD = "x".repeat(64);
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/** Request/reply round trips on each system (runs interleaved), then the HTTP API's publish on WEST's one node. */
export async function runRequestReply(
  config: RequestReplyConfig,
  log: (line: string) => void,
): Promise<RequestReplyReport> {
  const systems = RR_SYSTEMS.filter((system) => config.systems.includes(system.id));
  const results: RequestReplyResult[] = systems.map(({ id, label }) => ({ system: id, label, runs: [] }));
  const apiPublish: RequestReplyReport["apiPublish"] = [
    { via: "HTTP API", runs: [] },
    { via: "WebSocket", runs: [] },
  ];
  for (let repeat = 1; repeat <= config.repeats; repeat++) {
    for (const [i, system] of systems.entries()) {
      const deployment = await system.start();
      try {
        const run = await roundTrips(deployment, config);
        (results[i] as RequestReplyResult).runs.push(run);
        log(
          `request/reply ${system.label}, run ${repeat}/${config.repeats}: ${run.cpuMicrosPerRoundTrip.toFixed(1)} us/round trip, ${Math.round(run.roundTripsPerSecond)}/s, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms`,
        );
        if (system.id === "west-local") {
          for (const entry of apiPublish) {
            const published = await publishes(deployment, config.apiPublish, entry.via);
            entry.runs.push(published);
            log(
              `publish to ${config.apiPublish.subscribers} subscribers via the ${entry.via}, run ${repeat}: ${published.cpuMicrosPerDelivery.toFixed(2)} us/delivery, ${Math.round(published.deliveriesPerSecond)} deliveries/s`,
            );
          }
        }
      } finally {
        await deployment.stop();
      }
    }
  }
  return { config, requestReply: results, apiPublish };
}

/** `pairs` requesters, each asking its own owner `roundTrips` times, one at a time; after a warm-up phase. */
async function roundTrips(deployment: RrDeployment, config: RequestReplyConfig): Promise<RoundTripRun> {
  const { pairs } = config;
  const owners: WebSocket[] = [];
  const requesters: RequesterClient[] = [];
  try {
    for (let i = 0; i < pairs; i++) {
      const channel = `rr-${i}`;
      owners.push(
        deployment.protocol === "west"
          ? await westResponder(deployment.ownerUrl, `owner-${i}`, channel, PAYLOAD)
          : await natsResponder(deployment.ownerUrl, channel, PAYLOAD),
      );
      requesters.push(
        deployment.protocol === "west"
          ? await westRequester(deployment.requesterUrl, `requester-${i}`)
          : await natsRequester(deployment.requesterUrl, `requester-${i}`),
      );
    }
    const phase = async () => {
      const latencies: number[] = [];
      await Promise.all(
        requesters.map(async (requester, i) => {
          for (let n = 0; n < config.roundTrips; n++) {
            const sent = performance.now();
            await requester.request(`rr-${i}`, PAYLOAD);
            latencies.push(performance.now() - sent);
          }
        }),
      );
      return latencies;
    };
    await phase();
    const cpuBefore = deployment.cpuMicros();
    const started = performance.now();
    const latencies = await phase();
    const seconds = (performance.now() - started) / 1000;
    const cpu = deployment.cpuMicros() - cpuBefore;
    latencies.sort((a, b) => a - b);
    return {
      roundTrips: latencies.length,
      roundTripsPerSecond: latencies.length / seconds,
      cpuMicrosPerRoundTrip: cpu / latencies.length,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
    };
  } finally {
    for (const owner of owners) owner.terminate();
    for (const requester of requesters) requester.close();
  }
}

/** `publishes` publishes to `subscribers`, `inFlight` at a time, via the HTTP API or a WebSocket; after a warm-up. */
async function publishes(
  deployment: RrDeployment,
  spec: RequestReplyConfig["apiPublish"],
  via: "HTTP API" | "WebSocket",
): Promise<PublishRun> {
  const channel = `feed-${via === "HTTP API" ? "api" : "ws"}`;
  let received = 0;
  const subscribers: WebSocket[] = [];
  let closePublisher: () => void = () => undefined;
  try {
    for (let i = 0; i < spec.subscribers; i++) {
      const ws = new WebSocket(`${deployment.requesterUrl}/websocket/json/sub-${i}`, {
        perMessageDeflate: false,
      });
      await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
      const subscribed = new Promise((resolve) => ws.once("message", resolve));
      ws.send(JSON.stringify({ event: "subscribe", channel }));
      await subscribed;
      ws.on("message", () => received++);
      subscribers.push(ws);
    }
    const publisher =
      via === "HTTP API" ? apiPublisher(deployment, channel) : await wsPublisher(deployment, channel);
    closePublisher = publisher.close;
    const { publish } = publisher;
    const phase = async () => {
      const expected = received + spec.publishes * spec.subscribers;
      let next = 0;
      await Promise.all(
        Array.from({ length: spec.inFlight }, async () => {
          while (next < spec.publishes) {
            next++;
            await publish();
          }
        }),
      );
      const deadline = Date.now() + 30_000;
      while (received < expected) {
        if (Date.now() > deadline) throw new Error(`${expected - received} deliveries missing`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    await phase();
    const cpuBefore = deployment.cpuMicros();
    const started = performance.now();
    await phase();
    const seconds = (performance.now() - started) / 1000;
    const deliveries = spec.publishes * spec.subscribers;
    return {
      deliveries,
      deliveriesPerSecond: deliveries / seconds,
      cpuMicrosPerDelivery: (deployment.cpuMicros() - cpuBefore) / deliveries,
    };
  } finally {
    closePublisher();
    for (const ws of subscribers) ws.terminate();
  }
}

interface Publisher {
  publish(): Promise<void>;
  close(): void;
}

/** Publishes with POST /api/publish (fetch keeps its connections alive between requests). */
function apiPublisher(deployment: RrDeployment, channel: string): Publisher {
  const url = `${deployment.httpUrl}/api/publish`;
  const body = JSON.stringify({ channel, data: PAYLOAD });
  return {
    async publish() {
      const response = await fetch(url, {
        method: "POST",
        headers: { authorization: `apikey ${BENCH_API_KEY}` },
        body,
      });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`the API answered ${response.status}: ${text}`);
    },
    close: () => undefined,
  };
}

/** A WebSocket publisher with several publishes in flight: each resolves with its reply (in order). */
async function wsPublisher(deployment: RrDeployment, channel: string): Promise<Publisher> {
  const ws = new WebSocket(`${deployment.requesterUrl}/websocket/json/publisher`, {
    perMessageDeflate: false,
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const waiting: (() => void)[] = [];
  ws.on("message", () => waiting.shift()?.());
  const frame = JSON.stringify({ event: "publish", channel, data: PAYLOAD });
  return {
    publish: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        ws.send(frame);
      }),
    close: () => ws.terminate(),
  };
}

/** The middle value (of an odd count; the upper middle of an even one). */
export function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}
