import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  clusterNodes,
  coversAllSlots,
  type NodeRole,
  type NodeView,
  ownerInMap,
  type SlotMap,
  seesClusterOk,
  slotMap,
} from "./cluster-state.js";
import { CLUSTER_BUS_OFFSET } from "./free-ports.js";
import { redisCall } from "./redis-admin.js";
import { type RedisProcess, startOnFreePort } from "./redis-process.js";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);

/** How long the cluster may take to become healthy after a start, a failover or a restart. */
const HEALTHY_TIMEOUT_MS = 60_000;
/** Keys moved per MIGRATE while migrating a slot. */
const MIGRATE_BATCH = 100;

export interface RedisClusterOptions {
  /** Default 3. */
  masters?: number;
  /** Default 1. */
  replicasPerMaster?: number;
  /**
   * After this long without an answer a node is suspected failing, and a master's replica takes over soon
   * after. Default 1000: on a 2-core machine, idle or fully loaded, a killed master's replica took over within
   * 2.0-2.7 s (1.3-1.9 s with 500), and no node was ever falsely suspected (500 included).
   */
  nodeTimeoutMs?: number;
  /** More config arguments for every node. */
  args?: readonly string[];
}

export interface ClusterNode {
  readonly port: number;
  /** Its temp dir, with its cluster config file. */
  readonly dir: string;
  /** Undefined while the node is down. */
  readonly pid: number | undefined;
  /** As last seen: at the start, at `waitHealthy()`, or `dead` after `killNode()`. */
  readonly role: NodeRole | "dead";
}

/** A Redis Cluster of redis-server processes on 127.0.0.1, for tests, the benchmark and `west devrel`. */
export interface RedisCluster {
  /** Every node as `127.0.0.1:PORT`; any of them is a seed for a cluster client. */
  readonly seeds: string[];
  readonly nodes: readonly ClusterNode[];
  /** Stops every node and removes their temp dirs. */
  stop(): Promise<void>;
  /** SIGKILLs one node, as a crash. */
  killNode(port: number): Promise<void>;
  /** Starts a killed node again with its cluster config: it rejoins (a master that lost its slots as a replica). */
  restartNode(port: number): Promise<void>;
  /** The port of the master serving `slot`, as a live node sees it. */
  masterForSlot(slot: number): Promise<number>;
  /**
   * Resolves once every live node sees the cluster ok with all slots served, they agree on which master serves
   * each slot, and every such master is alive. After a kill this is once a replica took over.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Moves `slot` and its keys, live, to the master at `toPort`; resolves once every live node agrees. */
  migrateSlot(slot: number, toPort: number): Promise<void>;
}

/** Starts masters x (1 + replicasPerMaster) nodes, creates the cluster with redis-cli, waits until healthy. */
export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  const args = [
    ...["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
    ...["--cluster-node-timeout", String(options.nodeTimeoutMs ?? 1000)],
    // Redis waits 5 s by default before a full sync, for more replicas to share it: a master killed in
    // that window would leave a replica with no data that is not allowed to take over.
    ...["--repl-diskless-sync-delay", "0"],
    ...(options.args ?? []),
  ];
  const servers: RedisProcess[] = [];
  try {
    const taken = new Set<number>();
    for (let i = 0; i < masters * (1 + replicas); i++) {
      const server = await startOnFreePort([CLUSTER_BUS_OFFSET], args, taken);
      servers.push(server);
      taken.add(server.port).add(server.port + CLUSTER_BUS_OFFSET);
    }
    await createCluster(servers, replicas);
    const cluster = new Cluster(servers);
    await cluster.waitHealthy();
    return cluster;
  } catch (error) {
    await Promise.all(servers.map((server) => server.remove()));
    throw error;
  }
}

async function createCluster(servers: RedisProcess[], replicas: number): Promise<void> {
  const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
  try {
    await run(
      "redis-cli",
      ["--cluster", "create", ...addresses, "--cluster-replicas", String(replicas), "--cluster-yes"],
      { timeout: HEALTHY_TIMEOUT_MS },
    );
  } catch (error) {
    const { stdout, stderr, message } = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`redis-cli --cluster create failed: ${message}\n${stdout ?? ""}${stderr ?? ""}`);
  }
}

class Cluster implements RedisCluster {
  readonly seeds: string[];
  private readonly roles = new Map<number, NodeRole | "dead">();
  private readonly ids = new Map<number, string>();

  constructor(private readonly servers: RedisProcess[]) {
    this.seeds = servers.map((server) => `127.0.0.1:${server.port}`);
  }

  get nodes(): ClusterNode[] {
    return this.servers.map((server) => ({
      port: server.port,
      dir: server.dir,
      pid: server.pid,
      role: this.roles.get(server.port) ?? "master",
    }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.remove()));
  }

  async killNode(port: number): Promise<void> {
    await this.server(port).kill9();
    this.roles.set(port, "dead");
  }

  async restartNode(port: number): Promise<void> {
    await this.server(port).restart();
  }

  async masterForSlot(slot: number): Promise<number> {
    const owner = ownerInMap(await slotMap(this.live()[0]?.port ?? 0), slot);
    if (owner === undefined) throw new Error(`no master serves slot ${slot}`);
    return owner;
  }

  async waitHealthy(timeoutMs = HEALTHY_TIMEOUT_MS): Promise<void> {
    await waitFor(() => this.healthy(), timeoutMs, "the Redis Cluster to be healthy");
    for (const view of await clusterNodes(this.live()[0]?.port ?? 0)) {
      if (this.server(view.port).running) this.roles.set(view.port, view.role);
      this.ids.set(view.port, view.id);
    }
  }

  async migrateSlot(slot: number, toPort: number): Promise<void> {
    const fromPort = await this.masterForSlot(slot);
    if (fromPort === toPort) return;
    const [fromId, toId] = [await this.id(fromPort), await this.id(toPort)];
    await redisCall(toPort, "CLUSTER", "SETSLOT", String(slot), "IMPORTING", fromId);
    await redisCall(fromPort, "CLUSTER", "SETSLOT", String(slot), "MIGRATING", toId);
    for (;;) {
      const keys = (await redisCall(
        fromPort,
        ...["CLUSTER", "GETKEYSINSLOT", String(slot), String(MIGRATE_BATCH)],
      )) as string[];
      if (keys.length === 0) break;
      await redisCall(fromPort, "MIGRATE", "127.0.0.1", String(toPort), "", "0", "10000", "KEYS", ...keys);
    }
    // The order the Redis Cluster spec gives: the target first, so the slot is never ownerless.
    const masters = await this.livePortsWithRole("master");
    for (const port of [toPort, fromPort, ...masters.filter((p) => p !== toPort && p !== fromPort)]) {
      await redisCall(port, "CLUSTER", "SETSLOT", String(slot), "NODE", toId);
    }
    await waitFor(
      async () => {
        const owners = await Promise.all(
          this.live().map(async ({ port }) => ownerInMap(await slotMap(port), slot)),
        );
        return owners.every((owner) => owner === toPort);
      },
      HEALTHY_TIMEOUT_MS,
      `every node to see slot ${slot} served by port ${toPort}`,
    );
  }

  private async healthy(): Promise<boolean> {
    try {
      const live = this.live();
      if (!(await Promise.all(live.map(({ port }) => seesClusterOk(port)))).every(Boolean)) return false;
      const maps = await Promise.all(live.map(({ port }) => slotMap(port)));
      const first = maps[0] as SlotMap;
      const livePorts = new Set(live.map(({ port }) => port));
      if (!coversAllSlots(first) || !first.every((range) => livePorts.has(range.masterPort))) return false;
      if (!maps.every((map) => sameOwners(map, first))) return false;
      const views = await Promise.all(live.map(({ port }) => clusterNodes(port)));
      const roles = rolesOf(views[0] as NodeView[], livePorts);
      if (!views.every((view) => rolesOf(view, livePorts) === roles)) return false;
      const replicas = (views[0] as NodeView[]).filter(
        (view) => view.role === "replica" && livePorts.has(view.port),
      );
      return (await Promise.all(replicas.map(({ port }) => replicating(port)))).every(Boolean);
    } catch {
      // A node still busy starting or failing over may refuse or time out: ask again.
      return false;
    }
  }

  private async livePortsWithRole(role: NodeRole): Promise<number[]> {
    const views = await clusterNodes(this.live()[0]?.port ?? 0);
    return views
      .filter((view) => view.role === role && !view.failing && this.server(view.port).running)
      .map((view) => view.port);
  }

  private async id(port: number): Promise<string> {
    let id = this.ids.get(port);
    if (id === undefined) {
      id = String(await redisCall(port, "CLUSTER", "MYID"));
      this.ids.set(port, id);
    }
    return id;
  }

  private live(): RedisProcess[] {
    return this.servers.filter((server) => server.running);
  }

  private server(port: number): RedisProcess {
    const server = this.servers.find((candidate) => candidate.port === port);
    if (server === undefined) throw new Error(`no node of this cluster on port ${port}`);
    return server;
  }
}

/** The live nodes' roles in one node's view, as comparable text. */
function rolesOf(view: NodeView[], livePorts: ReadonlySet<number>): string {
  return view
    .filter((node) => livePorts.has(node.port))
    .map((node) => `${node.port}:${node.role}`)
    .sort()
    .join(" ");
}

/** True when this replica's link to its master is up, so it holds the master's data. */
async function replicating(port: number): Promise<boolean> {
  const info = String(await redisCall(port, "INFO", "replication"));
  return info.includes("master_link_status:up");
}

function sameOwners(a: SlotMap, b: SlotMap): boolean {
  return (
    a.length === b.length &&
    a.every((range, i) => {
      const other = b[i];
      return (
        other !== undefined &&
        range.first === other.first &&
        range.last === other.last &&
        range.masterPort === other.masterPort
      );
    })
  );
}
