import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import WebSocket from "ws";

export interface WsFanoutResult {
  scenario: string;
  deliveries: number;
  deliveriesPerSecond: number;
  serverCpuMicrosPerDelivery: number;
  clientCpuMicrosPerDelivery: number;
}

type ChildReply = { port?: number; cpu?: NodeJS.CpuUsage };

function ask(child: ChildProcess, request: string): Promise<ChildReply> {
  const answer = once(child, "message").then(([message]) => message as ChildReply);
  child.send(request);
  return answer;
}

function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const cpuMicros = (usage: NodeJS.CpuUsage) => usage.user + usage.system;

/**
 * One JSON publisher and `subscribers` JSON subscribers on one channel, the server in its own process.
 * `inFlight` publishes are kept outstanding (the next goes out when a publication_succeeded comes back).
 */
export async function wsFanout(subscribers = 500, publishes = 2_000, inFlight = 1): Promise<WsFanoutResult> {
  const child = fork(new URL("./server-child.js", import.meta.url), {
    stdio: "inherit",
    execArgv: process.env.WEST_BENCH_PROFILE
      ? ["--cpu-prof", `--cpu-prof-dir=${process.env.WEST_BENCH_PROFILE}`]
      : [],
  });
  const [ready] = (await once(child, "message")) as [ChildReply];
  const base = `ws://127.0.0.1:${ready.port}/websocket/json`;
  const expected = subscribers * publishes;
  let delivered = 0;
  let allDelivered: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDelivered = resolve;
  });
  const sockets: WebSocket[] = [];
  for (let i = 0; i < subscribers; i++) {
    const ws = await open(`${base}/sub${i}`);
    sockets.push(ws);
    ws.send('{"event":"subscribe","channel":"fanout"}');
    await once(ws, "message");
    ws.on("message", () => {
      if (++delivered === expected) allDelivered();
    });
  }
  const publisher = await open(`${base}/publisher`);
  sockets.push(publisher);
  const frame = JSON.stringify({ event: "publish", channel: "fanout", data: "x".repeat(64) });
  let sent = 0;
  publisher.on("message", () => {
    if (sent < publishes) {
      sent++;
      publisher.send(frame);
    }
  });

  const serverBefore = (await ask(child, "cpu")).cpu as NodeJS.CpuUsage;
  const clientBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (; sent < Math.min(inFlight, publishes); sent++) publisher.send(frame);
  await done;
  const elapsedNs = Number(process.hrtime.bigint() - started);
  const clientCpu = cpuMicros(process.cpuUsage(clientBefore));
  const serverAfter = (await ask(child, "cpu")).cpu as NodeJS.CpuUsage;

  for (const ws of sockets) ws.terminate();
  const exited = once(child, "exit");
  child.send("stop");
  await exited;
  return {
    scenario: `WebSocket fan-out: 1 JSON publisher, ${subscribers} JSON subscribers, ${inFlight} in flight`,
    deliveries: expected,
    deliveriesPerSecond: expected / (elapsedNs / 1e9),
    serverCpuMicrosPerDelivery: (cpuMicros(serverAfter) - cpuMicros(serverBefore)) / expected,
    clientCpuMicrosPerDelivery: clientCpu / expected,
  };
}
