import { ChannelFeatures } from "../../core/channel-features.js";
import type { Logger } from "../../log.js";
import type { RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";
import type { NodeRecord } from "./membership.js";

/**
 * Refuses to join nodes whose channel rules differ from `features`: a channel with history on one node and not on
 * another would get offsets from some publishes and not others. A record without rules (an older release) counts
 * as having none.
 */
export async function checkSameRules(
  link: RedisLink,
  names: RedisNames,
  features: ChannelFeatures,
): Promise<void> {
  const registry = names.registry();
  const ids = (await link.command(registry, ["ZRANGE", registry, "0", "-1"])) as string[];
  for (const nodeId of ids) {
    const raw = (await link.command(names.node(nodeId), ["GET", names.node(nodeId)])) as string | null;
    if (raw === null) continue;
    let record: Partial<NodeRecord>;
    try {
      record = JSON.parse(raw) as Partial<NodeRecord>;
    } catch {
      continue;
    }
    const theirs = record.channelRules ?? ChannelFeatures.NONE.hash;
    if (theirs !== features.hash)
      throw new Error(
        `channels: this node's channel rules (hash ${features.hash}) differ from those of node ${nodeId} ` +
          `(hash ${theirs}) on the same Redis: every node of a system must have the same rules`,
      );
  }
}

/** History needs a Redis that evicts nothing (an evicted history record would reuse offsets): warns otherwise. */
export async function warnIfEvicting(link: RedisLink, names: RedisNames, logger: Logger): Promise<void> {
  try {
    const reply = await link.command(names.registry(), ["CONFIG", "GET", "maxmemory-policy"]);
    // A [name, value] list, or a map from node-redis.
    const policy = Array.isArray(reply)
      ? String(reply[1])
      : typeof reply === "object" && reply !== null
        ? String((reply as Record<string, unknown>)["maxmemory-policy"])
        : undefined;
    if (policy !== undefined && policy !== "noeviction")
      logger.warn(
        { maxmemoryPolicy: policy },
        "redis may evict keys: channel history needs maxmemory-policy noeviction",
      );
  } catch (error) {
    logger.info({ err: error }, "could not read redis's maxmemory-policy (CONFIG GET not allowed?)");
  }
}
