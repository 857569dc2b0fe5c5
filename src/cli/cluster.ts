import type { Command } from "commander";
import {
  type ClusterView,
  inspectCluster,
  locateChannel,
  type RedisTarget,
} from "../adapters/redis/inspect.js";
import { loadConfig } from "../config.js";
import { REDIS_DEFAULTS } from "../options.js";
import { addConfigFlags } from "./config-flags.js";

/** The options that say which Redis to inspect (RedisTarget's fields): the only flags of these commands. */
const REDIS_TARGET_KEYS = Object.keys({
  url: true,
  cluster: true,
  username: true,
  password: true,
  tls: true,
  keyPrefix: true,
} satisfies Record<keyof RedisTarget, true>).map((field) => `redis.${field}`);

/** `west cluster status` and `west cluster where CH`: what the nodes sharing a Redis look like. */
export function defineClusterCommand(program: Command): void {
  const cluster = program
    .command("cluster")
    .description(
      "inspect the WEST nodes that share a Redis (the same --redis / --redis-cluster as west start)",
    );

  const status = cluster
    .command("status")
    .description(
      "live nodes (id, address, connections, channels, last heartbeat) and, in sharded mode, the shards",
    )
    .option("--json", "print JSON instead of tables");
  const readStatusFlags = addConfigFlags(status, REDIS_TARGET_KEYS);
  status.action(async (flags: { json?: boolean }) => {
    const view = await inspectCluster(await redisTarget(readStatusFlags));
    console.log(flags.json ? JSON.stringify(view, null, 2) : renderStatus(view));
  });

  const where = cluster
    .command("where")
    .description("which Redis shard holds a channel (its owner record and its pub/sub traffic)")
    .argument("<channel>", "channel name")
    .option("--json", "print JSON");
  const readWhereFlags = addConfigFlags(where, REDIS_TARGET_KEYS);
  where.action(async (channel: string, flags: { json?: boolean }) => {
    const place = await locateChannel(await redisTarget(readWhereFlags), channel);
    if (flags.json) console.log(JSON.stringify({ channel, ...place }));
    else if (place.mode === "global")
      console.log(`${channel}: global mode, every channel is on ${place.master}`);
    else {
      const replicas = place.replicas.length > 0 ? ` (replicas ${place.replicas.join(", ")})` : "";
      console.log(`${channel}: slot ${place.slot} on the shard of master ${place.master}${replicas}`);
    }
  });
}

async function redisTarget(readFlags: ReturnType<typeof addConfigFlags>): Promise<RedisTarget> {
  const { flags, configPath } = readFlags();
  const { redis } = await loadConfig({ flags, configPath, env: process.env });
  if (redis?.url === undefined && (redis?.cluster === undefined || redis.cluster.length === 0)) {
    throw new Error("give --redis URL (one Redis) or --redis-cluster host:port,... (Redis Cluster)");
  }
  return { ...redis, keyPrefix: redis.keyPrefix ?? REDIS_DEFAULTS.keyPrefix };
}

function renderStatus(view: ClusterView): string {
  const now = Date.now();
  const lines = [`mode: ${view.mode}`, `nodes: ${view.nodes.length} live`];
  lines.push(
    ...table(
      ["NODE", "URL", "CONNECTIONS", "REGISTRATIONS", "SUBSCRIPTIONS", "LAST HEARTBEAT", "UP"],
      view.nodes.map((node) => [
        node.nodeId,
        node.url ?? "(embedded)",
        String(node.connections),
        String(node.registrations),
        String(node.subscriptions),
        `${((now - node.beatAt) / 1000).toFixed(1)} s ago`,
        `${Math.round((now - node.startedAt) / 1000)} s`,
      ]),
    ),
  );
  if (view.mode === "sharded") {
    lines.push(`shards: ${view.shards.length}`);
    lines.push(
      ...table(
        ["SLOTS", "MASTER", "REPLICAS"],
        view.shards.map((shard) => [
          shard.slots.map(([first, last]) => (first === last ? `${first}` : `${first}-${last}`)).join(","),
          shard.master,
          shard.replicas.join(",") || "-",
        ]),
      ),
    );
  }
  return lines.join("\n");
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    `  ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}
