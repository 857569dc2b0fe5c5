import { randomBytes } from "node:crypto";
import type { HistoryConfig } from "../../core/channel-features.js";
import type { Delivery } from "../../core/message.js";
import { decodeNodeMessage, encodeNodeMessage } from "../../core/node-messages.js";
import type { History, HistoryPage, HistoryQuery, Position, Stamped } from "../../core/seam.js";
import { HISTORY_POSITION, HISTORY_PUBLISH, HISTORY_READ } from "./history-scripts.js";
import type { RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";

/**
 * History in Redis, beside the channel's slot: a meta record (epoch, top, the replication id it was made under)
 * and a list of the last publications, written by one script with the publish itself (see history-scripts.ts).
 * The publishing node does not deliver its own publish: it arrives, stamped, through the channel's subscription,
 * as on every other node.
 */
export class RedisHistory implements History {
  /** Fresh epochs are this node's random prefix and a counter: unique without a random draw per publish. */
  private readonly prefix = randomBytes(9).toString("base64url");
  private made = 0;

  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly nodeId: () => string,
  ) {}

  async publish(delivery: Delivery, config: HistoryConfig): Promise<Position> {
    const { channel } = delivery;
    const message = encodeNodeMessage({ origin: this.nodeId(), seq: 0, type: "publish", delivery });
    const [epoch, offset] = (await HISTORY_PUBLISH.run(this.link, this.keys(channel), [
      message,
      String(config.size),
      String(config.ttlSeconds * 1000),
      this.names.publications(channel),
      this.link.mode === "sharded" ? "SPUBLISH" : "PUBLISH",
      this.fresh(),
    ])) as [string, string];
    return { epoch, offset: Number(offset) };
  }

  async position(channel: string, config: HistoryConfig): Promise<Position> {
    const [epoch, top] = (await HISTORY_POSITION.run(this.link, this.keys(channel), [
      this.fresh(),
      String(config.ttlSeconds * 1000),
    ])) as [string, string];
    return { epoch, offset: Number(top) };
  }

  async read(channel: string, { limit, after }: HistoryQuery, config: HistoryConfig): Promise<HistoryPage> {
    const reply = (await HISTORY_READ.run(
      this.link,
      this.keys(channel),
      [
        this.fresh(),
        String(config.ttlSeconds * 1000),
        String(limit),
        after === undefined ? "" : String(after.offset),
        after?.epoch ?? "",
      ],
      true,
    )) as [Buffer, Buffer, number, Buffer, Buffer[]];
    const [epochBytes, topBytes, complete, startBytes, raw] = reply;
    const epoch = epochBytes.toString();
    const start = Number(startBytes.toString());
    const entries: Stamped[] = [];
    raw.forEach((bytes, i) => {
      const message = decodeNodeMessage(bytes);
      if (message?.type === "publish") entries.push({ ...message.delivery, offset: start + i, epoch });
    });
    return {
      epoch,
      top: Number(topBytes.toString()),
      entries,
      // An entry that no longer decodes (another release's) is a hole: not complete.
      complete: complete === 1 && entries.length === raw.length,
    };
  }

  private keys(channel: string): string[] {
    return [this.names.historyMeta(channel), this.names.history(channel)];
  }

  private fresh(): string {
    return `${this.prefix}.${++this.made}`;
  }
}
