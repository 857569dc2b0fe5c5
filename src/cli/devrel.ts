import { constants } from "node:os";
import { fileURLToPath } from "node:url";
import { type Command, InvalidArgumentError, Option } from "commander";
import { LOG_LEVELS, parseOptionText } from "../config.js";
import { DevCluster, type RedisChoice } from "../devrel/dev-cluster.js";
import { describeExit } from "../devrel/west-nodes.js";

/** This build's `west` command, which runs the nodes. */
const WEST_MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const MAX_NODES = 100;
/** `redis-cli --cluster create` refuses fewer. */
const MIN_CLUSTER_MASTERS = 3;

interface DevrelFlags {
  redis?: string;
  redisCluster?: string[];
  spawnRedis?: true;
  spawnRedisCluster?: number;
  basePort: number;
  logLevel: string;
}

/** `west devrel N`: N local nodes sharing one Redis, spawned if asked, all stopped by one Ctrl-C. */
export function defineDevrelCommand(program: Command): void {
  const redisFlags = ["redis", "redisCluster", "spawnRedis", "spawnRedisCluster"];
  const only = (flag: string) => redisFlags.filter((other) => other !== flag);
  program
    .command("devrel")
    .description("run N local nodes that share one Redis, for development (Ctrl-C stops everything)")
    .argument("<count>", `how many nodes (1-${MAX_NODES})`, integerIn(1, MAX_NODES))
    .addOption(
      new Option("--redis <url>", "use this Redis (global mode)")
        .argParser(configValue("redis.url", "--redis"))
        .conflicts(only("redis")),
    )
    .addOption(
      new Option("--redis-cluster <host:port,...>", "use this Redis Cluster (sharded mode)")
        .argParser(configValue("redis.cluster", "--redis-cluster"))
        .conflicts(only("redisCluster")),
    )
    .addOption(
      new Option("--spawn-redis", "start a redis-server on a free port (the default)").conflicts(
        only("spawnRedis"),
      ),
    )
    .addOption(
      new Option(
        "--spawn-redis-cluster <masters>",
        `start a Redis Cluster of that many masters (at least ${MIN_CLUSTER_MASTERS}) with one replica each`,
      )
        .argParser(integerIn(MIN_CLUSTER_MASTERS, 50))
        .conflicts(only("spawnRedisCluster")),
    )
    .addOption(
      new Option("--base-port <port>", "node i listens on port + i - 1")
        .argParser(integerIn(1, 65535))
        .default(8081),
    )
    .addOption(new Option("--log-level <level>", "the nodes' log level").choices(LOG_LEVELS).default("info"))
    .addHelpText(
      "after",
      "\nStatus lines (the Redis address, each node's URL and pid) go to stdout, the nodes' own log lines to\n" +
        "stderr, prefixed [node i]. Other node options come from WEST_* environment variables or WEST_CONFIG.\n" +
        "The first Ctrl-C (or SIGTERM) stops the nodes gracefully, then the Redis that devrel started; a second\n" +
        "one kills everything at once.",
    )
    .action(async (count: number, flags: DevrelFlags, command: Command) => {
      if (flags.basePort + count - 1 > 65535)
        command.error(`error: ${count} nodes from port ${flags.basePort} go past port 65535`, {
          exitCode: 2,
        });
      await runDevrel(count, flags);
    });
}

function redisChoice(flags: DevrelFlags): RedisChoice {
  if (flags.redis !== undefined) return { kind: "url", url: flags.redis };
  if (flags.redisCluster !== undefined) return { kind: "cluster", seeds: flags.redisCluster };
  if (flags.spawnRedisCluster !== undefined)
    return { kind: "spawn-cluster", masters: flags.spawnRedisCluster };
  return { kind: "spawn" };
}

async function runDevrel(count: number, flags: DevrelFlags): Promise<void> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const cluster = new DevCluster({
    westMain: WEST_MAIN,
    count,
    basePort: flags.basePort,
    redis: redisChoice(flags),
    logLevel: flags.logLevel,
    say,
    nodeLine: (node, line) => process.stderr.write(`[node ${node}] ${line}\n`),
  });
  let stopping = false;
  const stopAndExit = (code: number) => {
    stopping = true;
    cluster.stop().then(
      () => process.exit(code),
      (error: unknown) => {
        console.error(`west devrel: stop failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      say(`${signal} again: killing everything`);
      cluster.kill();
      process.exit(128 + constants.signals[signal]);
    }
    say(`${signal}: stopping`);
    stopAndExit(0);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    await cluster.start();
  } catch (error) {
    if (stopping) return;
    console.error(`west devrel: ${(error as Error).message}`);
    return stopAndExit(1);
  }
  if (stopping) return;
  say(`${count} node${count === 1 ? "" : "s"} running (Ctrl-C stops everything)`);
  for (const [i, node] of cluster.nodes.entries()) {
    node.done.then(() => {
      if (stopping) return;
      say(`node ${i + 1} exited (${describeExit(node.exit)})`);
      if (cluster.nodes.every((other) => other.exit !== undefined)) {
        console.error("west devrel: every node has exited");
        stopAndExit(1);
      }
    });
  }
}

function integerIn(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || value < min || value > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    return value;
  };
}

/** The same check as the `west start` option `key`, so that a bad value fails here and not in every node. */
function configValue(key: string, flag: string): (raw: string) => unknown {
  return (raw) => {
    try {
      return parseOptionText(key, raw, `flag ${flag}`);
    } catch (error) {
      throw new InvalidArgumentError((error as Error).message);
    }
  };
}
