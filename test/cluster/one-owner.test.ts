import { before } from "node:test";
import type { RedisCluster, RedisServer } from "../../src/devrel/redis-servers.js";
import { redisCluster, redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { oneOwnerSuite } from "./one-owner.js";

const skip = skipWithoutRedis();
let server: RedisServer;
let cluster: RedisCluster;
before(async () => {
  if (skip !== false) return;
  [server, cluster] = await Promise.all([redisServer(), redisCluster()]);
});

oneOwnerSuite(
  "one Redis (global mode)",
  () => ({ flags: () => [`--redis=${server.url}`], options: () => ({ url: server.url }) }),
  skip,
);
oneOwnerSuite(
  "Redis Cluster, 3 masters + 3 replicas (sharded mode)",
  () => ({
    flags: () => [`--redis-cluster=${cluster.seeds.join(",")}`],
    options: () => ({ cluster: cluster.seeds }),
  }),
  skip,
);
