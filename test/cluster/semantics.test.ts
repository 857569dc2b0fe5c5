import { before } from "node:test";
import type { RedisCluster, RedisServer } from "../../src/devrel/redis-servers.js";
import { redisCluster, redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { semanticSuite } from "./semantics.js";
import { localMode, redisMode } from "./three-nodes.js";

const skip = skipWithoutRedis();
let standalone: RedisServer;
let cluster: RedisCluster;
before(async () => {
  if (skip) return;
  [standalone, cluster] = await Promise.all([redisServer(), redisCluster()]);
});

semanticSuite(localMode);
semanticSuite(
  redisMode("redis standalone (global mode)", () => ({ url: standalone.url })),
  skip,
);
semanticSuite(
  redisMode("redis cluster, 3 masters + 3 replicas (sharded mode)", () => ({
    cluster: cluster.seeds.slice(0, 2),
  })),
  skip,
);
