import { randomBytes } from "node:crypto";
import type { HistoryConfig } from "../../core/channel-features.js";
import type { Delivery } from "../../core/message.js";
import { decodeNodeMessage, encodeNodeMessage } from "../../core/node-messages.js";
import type { History, HistoryPage, HistoryQuery, Position, Stamped } from "../../core/seam.js";
import { stamp } from "../../core/stamp.js";
import { encodeBatch } from "./batches.js";
import { HISTORY_POSITION, HISTORY_PUBLISH, HISTORY_READ } from "./history-scripts.js";
import type { RedisNames } from "./keys.js";
import type { RedisLink } from "./link.js";

/**
 * History in Redis, beside the channel's slot: a meta record (epoch, top, the replication id it was made under)
 * and a list of the last publications, written by one script with the publish itself (see history-scripts.ts).
 * The publishing node does not deliver its own publish: it arrives, stamped, through the channel's subscription,
 * as on every other node.
 */
interface Batch {
  readonly config: HistoryConfig;
  readonly messages: Buffer[];
  bytes: number;
  /** Settles with the epoch and the offset of the batch's first publication. */
  sent: Promise<Position> | undefined;
  settle?: { resolve(position: Position): void; reject(error: unknown): void };
}

/** At most this many publications per script call (Lua's unpack has a limit), and this many bytes. */
const MAX_BATCH = 1000;
const MAX_BATCH_BYTES = 512 * 1024;

export class RedisHistory implements History {
  /** Fresh epochs are this node's random prefix and a counter: unique without a random draw per publish. */
  private readonly prefix = randomBytes(9).toString("base64url");
  private made = 0;
  private batches = new Map<string, Batch>();
  private scheduled = false;

  constructor(
    private readonly link: RedisLink,
    private readonly names: RedisNames,
    private readonly nodeId: () => string,
  ) {}

  /** Joins the channel's batch of this event-loop turn (one script call per channel and turn). */
  publish(delivery: Delivery, config: HistoryConfig): Promise<Position> {
    const { channel } = delivery;
    const message = encodeNodeMessage({ origin: this.nodeId(), seq: 0, type: "publish", delivery });
    let batch = this.batches.get(channel);
    if (
      batch !== undefined &&
      (batch.messages.length >= MAX_BATCH || batch.bytes + message.length > MAX_BATCH_BYTES)
    ) {
      this.batches.delete(channel);
      this.send(channel, batch);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { config, messages: [], bytes: 0, sent: undefined };
      this.batches.set(channel, batch);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    }
    const index = batch.messages.length;
    batch.messages.push(message);
    batch.bytes += message.length;
    const open = batch;
    open.sent ??= new Promise<Position>((resolve, reject) => {
      open.settle = { resolve, reject };
    });
    return open.sent.then(({ epoch, offset }) => ({ epoch, offset: offset + index }));
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    const batches = this.batches;
    this.batches = new Map();
    for (const [channel, batch] of batches) this.send(channel, batch);
  };

  private send(channel: string, batch: Batch): void {
    const { config, messages, settle } = batch;
    HISTORY_PUBLISH.run(this.link, this.keys(channel), [
      String(config.size),
      String(config.ttlSeconds * 1000),
      this.names.publications(channel),
      this.link.mode === "sharded" ? "SPUBLISH" : "PUBLISH",
      this.fresh(),
      messages.length === 1 ? (messages[0] as Buffer) : encodeBatch(messages),
      ...messages,
    ]).then(
      (reply) => {
        const [epoch, first] = reply as [string, string];
        settle?.resolve({ epoch, offset: Number(first) });
      },
      (error: unknown) => settle?.reject(error),
    );
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
      if (message?.type === "publish") entries.push(stamp(message.delivery, start + i, epoch));
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
