import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { osFreePort } from "../../src/devrel/free-ports.js";
import { waitFor } from "../../src/devrel/wait-for.js";

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;

/** One nats-server of the cluster. */
export interface NatsNode {
  readonly pid: number;
  /** ws://127.0.0.1:PORT of its WebSocket listener. */
  readonly url: string;
  /** http://127.0.0.1:PORT of its monitoring listener. */
  readonly monitor: string;
}

export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** Stops every node (SIGTERM, SIGKILL after a few seconds) and removes their config. */
  stop(): Promise<void>;
}

interface Ports {
  client: number;
  route: number;
  websocket: number;
  monitor: number;
}

/** Distinct loopback ports, each free a moment ago. */
async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await osFreePort());
  return [...ports];
}

function config(name: string, own: Ports, others: Ports[]): string {
  const routes = others.map((other) => `"nats-route://127.0.0.1:${other.route}"`).join(", ");
  return [
    `server_name: ${name}`,
    `listen: "127.0.0.1:${own.client}"`,
    `http: "127.0.0.1:${own.monitor}"`,
    `websocket { host: "127.0.0.1", port: ${own.websocket}, no_tls: true }`,
    `cluster { name: bench, listen: "127.0.0.1:${own.route}", routes: [${routes}] }`,
    "",
  ].join("\n");
}

/**
 * A cluster of `size` nats-servers on 127.0.0.1, each with a client port, a WebSocket listener (no TLS), a
 * monitoring port, and routes to all the others. Resolves once every node reports a route to every other.
 */
export async function startNatsCluster(size = 3): Promise<NatsCluster> {
  const dir = mkdtempSync(join(tmpdir(), "west-bench-nats-cluster-"));
  const flat = await freePorts(size * 4);
  const ports: Ports[] = Array.from({ length: size }, (_, i) => ({
    client: flat[i * 4] as number,
    route: flat[i * 4 + 1] as number,
    websocket: flat[i * 4 + 2] as number,
    monitor: flat[i * 4 + 3] as number,
  }));
  const children: ChildProcess[] = [];
  const stop = async () => {
    await Promise.all(children.map(stopChild));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const nodes = ports.map((own, i): NatsNode => {
      const file = join(dir, `n${i + 1}.conf`);
      writeFileSync(
        file,
        config(
          `n${i + 1}`,
          own,
          ports.filter((other) => other !== own),
        ),
      );
      const child = spawn("nats-server", ["-c", file], { stdio: ["ignore", "ignore", "ignore"] });
      children.push(child);
      // Unlike a forked Node server, nats-server would outlive a bench that dies: take it along.
      const orphanGuard = () => child.kill("SIGKILL");
      process.once("exit", orphanGuard);
      child.once("exit", () => process.off("exit", orphanGuard));
      return {
        pid: child.pid as number,
        url: `ws://127.0.0.1:${own.websocket}`,
        monitor: `http://127.0.0.1:${own.monitor}`,
      };
    });
    await waitFor(
      async () => (await Promise.all(nodes.map((node) => routes(node)))).every((count) => count >= size - 1),
      START_TIMEOUT_MS,
      "the NATS cluster's routes",
    );
    return { nodes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** How many routes a node has up, or -1 while its monitoring port does not answer. */
async function routes(node: NatsNode): Promise<number> {
  try {
    const response = await fetch(`${node.monitor}/routez`);
    return ((await response.json()) as { num_routes: number }).num_routes;
  } catch {
    return -1;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  await exit;
  clearTimeout(timer);
}
