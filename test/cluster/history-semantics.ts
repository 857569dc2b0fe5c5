import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { HistoryItem, Message, Reply, WestNode } from "../../src/index.js";
import { startWestProcess } from "../helpers/cli-process.js";
import { connect } from "../helpers/ws-client.js";
import { Inbox, type Mode } from "./three-nodes.js";

let unique = 0;
const fresh = (what: string) => `${what}-${process.pid}-${++unique}`;

export const HISTORY_CHANNELS = [
  { match: "h.>", history: { size: 500, ttlSeconds: 60 } },
  { match: "small.>", history: { size: 3, ttlSeconds: 60 } },
  { match: "brief.>", history: { size: 10, ttlSeconds: 1 } },
];

type Stamped = Message & { offset: number; epoch: string; data: unknown };

/** The deliveries of `channel` in `inbox`, with their offsets and epochs. */
function stamped(inbox: Inbox, channel: string): Stamped[] {
  return inbox.messages.filter(
    (m): m is Stamped => m.event === "new_message" && m.channel === channel && "offset" in m,
  );
}

/** Every delivery carries the next offset of one epoch, from `first`: no gap, no duplicate, offset order. */
function assertConsecutive(deliveries: Stamped[], first: number, epoch: string, who: string): void {
  deliveries.forEach((delivery, i) => {
    assert.equal(delivery.epoch, epoch, `${who}: delivery ${i}'s epoch`);
    assert.equal(delivery.offset, first + i, `${who}: delivery ${i}'s offset (no gap, no duplicate)`);
  });
}

/** docs/protocol.md, "History and recovery (ext)", checked with clients spread over three nodes. */
export function historySuite(
  mode: Mode,
  skip: string | false = false,
  flush?: () => Promise<void>,
  process?: () => { args: string[]; heartbeatTtlMs: number },
): void {
  describe(`history across three nodes: ${mode.name}`, { skip }, () => {
    let n1: WestNode;
    let n2: WestNode;
    let n3: WestNode;
    before(async () => {
      [n1, n2, n3] = await mode.start({ channels: HISTORY_CHANNELS });
    });
    after(async () => {
      await Promise.all([...new Set([n1, n2, n3])].map((node) => node?.stop()));
    });

    it("publishes from three nodes get distinct consecutive offsets, and every node delivers them in offset order", async () => {
      const ch = `h.${fresh("order")}`;
      const subscribers = [new Inbox(n1, "o1"), new Inbox(n2, "o2"), new Inbox(n3, "o3")];
      const starts: Reply[] = [];
      for (const s of subscribers) starts.push(await s.client.sub(ch));
      const epoch = starts[0]?.epoch as string;
      assert.ok(
        starts.every((start) => start.epoch === epoch && start.offset === 0),
        JSON.stringify(starts),
      );
      const publishers = [n1, n2, n3].map((node, i) => node.client(`p${i}`));
      const replies = await Promise.all(
        publishers.flatMap((publisher, i) =>
          Array.from({ length: 30 }, (_, k) => publisher.pub(ch, `${i}:${k}`)),
        ),
      );
      const offsets = replies.map((r) => r.offset as number).sort((a, b) => a - b);
      assert.deepEqual(
        offsets,
        Array.from({ length: 90 }, (_, i) => i + 1),
        "one offset each, none twice",
      );
      for (const [i, s] of subscribers.entries()) {
        await s.waitFor(ch, 90);
        assertConsecutive(stamped(s, ch), 1, epoch, `subscriber on node ${i + 1}`);
      }
      const reference = stamped(subscribers[0] as Inbox, ch).map((d) => d.data);
      for (const s of subscribers)
        assert.deepEqual(
          stamped(s, ch).map((d) => d.data),
          reference,
          "one order",
        );
    });

    it("a subscriber leaves node 1, 200 publications are made on node 2, it comes back on node 3 with its last offset and gets exactly those, in order, then live ones, while a publisher keeps publishing", async () => {
      const ch = `h.${fresh("recover")}`;
      const live = n1.client("live-publisher");
      let publishing = true;
      let count = 0;
      const loop = (async () => {
        while (publishing && count < 3000) {
          await live.pub(ch, `live ${count++}`);
          if (count % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      try {
        const before = new Inbox(n1, "reader");
        const start = await before.client.sub(ch);
        const epoch = start.epoch as string;
        await before.waitFor(ch, 10);
        await before.client.close();
        const seen = stamped(before, ch);
        assertConsecutive(seen, (start.offset as number) + 1, epoch, "before leaving");
        const last = seen.at(-1)?.offset as number;

        const away = n2.client("away");
        for (let i = 0; i < 200; i++)
          assert.equal((await away.pub(ch, `missed ${i}`)).event, "publication_succeeded");

        const again = new Inbox(n3, "reader");
        const resumed = await again.client.sub(ch, { recover: { offset: last, epoch } });
        assert.deepEqual(
          [resumed.event, resumed.recovered, resumed.epoch],
          ["subscription_succeeded", true, epoch],
        );
        const top = resumed.offset as number;
        await again.waitFor(ch, top - last + 20, 10_000);
        publishing = false;
        await loop;
        const got = stamped(again, ch);
        assertConsecutive(got, last + 1, epoch, "after coming back");
        assert.deepEqual(
          got.filter((d) => String(d.data).startsWith("missed ")).map((d) => d.data),
          Array.from({ length: 200 }, (_, i) => `missed ${i}`),
        );
      } finally {
        publishing = false;
        await loop;
      }
    });

    it("history reads the same from every node; recovery says false once what was missed is trimmed or the epoch is another", async () => {
      const ch = `small.${fresh("trim")}`;
      const publisher = n1.client("trim-publisher");
      const first = await publisher.pub(ch, "m1");
      for (let i = 2; i <= 5; i++) await publisher.pub(ch, `m${i}`);
      for (const node of [n1, n2, n3]) {
        const last = await node.client("reader").history(ch, { limit: 10 });
        assert.deepEqual(
          [
            last.event,
            last.offset,
            last.epoch,
            last.complete,
            (last.data as HistoryItem[]).map((item) => item.data),
          ],
          ["history_succeeded", 5, first.epoch, true, ["m3", "m4", "m5"]],
          "the limit is capped at the size: the last 3 are all there",
        );
        const after = await node
          .client("reader")
          .history(ch, { after: { offset: 0, epoch: first.epoch as string } });
        assert.deepEqual(
          [after.complete, (after.data as HistoryItem[]).map((item) => [item.offset, item.data])],
          [false, [[3, "m3"]]],
          "offsets 1 to 3 were asked (the limit is the size); 1 and 2 were trimmed",
        );
      }
      const trimmed = await n2
        .client("late")
        .sub(ch, { recover: { offset: 1, epoch: first.epoch as string } });
      assert.deepEqual([trimmed.recovered, trimmed.offset], [false, 5]);
      const stranger = await n3.client("stranger").sub(ch, { recover: { offset: 1, epoch: "another" } });
      assert.deepEqual([stranger.recovered, stranger.epoch], [false, first.epoch]);
      const fine = new Inbox(n3, "fine");
      const recovered = await fine.client.sub(ch, { recover: { offset: 3, epoch: first.epoch as string } });
      assert.equal(recovered.recovered, true);
      assert.deepEqual(await fine.waitFor(ch, 2), ["m4", "m5"]);
    });

    it("recovered: false after the history expired (ttlSeconds after the last publish): a new epoch", async () => {
      const ch = `brief.${fresh("ttl")}`;
      const first = await n1.client("ttl-publisher").pub(ch, "old");
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const late = await n2
        .client("ttl-late")
        .sub(ch, { recover: { offset: 0, epoch: first.epoch as string } });
      assert.equal(late.recovered, false);
      assert.notEqual(late.epoch, first.epoch);
      assert.equal(late.offset, 0);
    });

    if (process !== undefined)
      it("a subscriber whose node dies (kill -9) comes back on another node with its last offset and gets what it missed", async () => {
        const ch = `h.${fresh("killed")}`;
        const { args, heartbeatTtlMs } = process();
        const dir = await mkdtemp(join(tmpdir(), "west-history-"));
        const config = join(dir, "west.json");
        await writeFile(config, JSON.stringify({ channels: HISTORY_CHANNELS, redis: { heartbeatTtlMs } }));
        const { west, port } = await startWestProcess(["--port", "0", "--config", config, ...args]);
        const socket = await connect(`ws://127.0.0.1:${port}`, "json", "reader");
        socket.send(JSON.stringify({ event: "subscribe", channel: ch, id: "1" }));
        const start = JSON.parse(String(await socket.take(5000))) as { epoch: string; offset: number };
        const publisher = n1.client("kill-publisher");
        for (let i = 0; i < 20; i++) await publisher.pub(ch, `before ${i}`);
        await socket.until(() => socket.received.length === 20, 5000, "20 deliveries");
        const seen = socket.received.map((frame) => JSON.parse(String(frame)) as Stamped);
        assertConsecutive(seen, start.offset + 1, start.epoch, "before the kill");
        west.signal("SIGKILL");
        for (let i = 0; i < 50; i++) await publisher.pub(ch, `missed ${i}`);
        const again = new Inbox(n2, "reader");
        const last = seen.at(-1)?.offset as number;
        const resumed = await again.client.sub(ch, { recover: { offset: last, epoch: start.epoch } });
        assert.deepEqual([resumed.recovered, resumed.offset], [true, last + 50]);
        await publisher.pub(ch, "live");
        assert.deepEqual(await again.waitFor(ch, 51), [
          ...Array.from({ length: 50 }, (_, i) => `missed ${i}`),
          "live",
        ]);
        assertConsecutive(stamped(again, ch), last + 1, start.epoch, "after coming back");
        // Until its heartbeat record expires the dead node still counts, and nodes with other rules could not join.
        await new Promise((resolve) => setTimeout(resolve, heartbeatTtlMs + 500));
      });

    if (flush !== undefined)
      it("after Redis lost everything (FLUSHALL), the channel has a new epoch and recovery says false", async () => {
        const ch = `h.${fresh("flushed")}`;
        const publisher = n1.client("flush-publisher");
        const before = await publisher.pub(ch, "before");
        await flush();
        const after = await publisher.pub(ch, "after");
        assert.notEqual(after.epoch, before.epoch);
        assert.equal(after.offset, 1);
        const late = await n2
          .client("flush-late")
          .sub(ch, { recover: { offset: 0, epoch: before.epoch as string } });
        assert.deepEqual([late.recovered, late.epoch], [false, after.epoch]);
      });
  });
}
