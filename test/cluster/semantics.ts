import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { WestNode } from "../../src/index.js";
import { Inbox, type Mode } from "./three-nodes.js";

let unique = 0;
/** A channel name no other test uses, so that tests on shared nodes stay independent. */
const fresh = (what: string) => `${what}-${process.pid}-${++unique}`;

/** docs/protocol.md, "Deliveries and guarantees", checked with clients spread over three nodes. */
export function semanticSuite(mode: Mode, skip: string | false = false): void {
  describe(`semantics across three nodes: ${mode.name}`, { skip }, () => {
    let n1: WestNode;
    let n2: WestNode;
    let n3: WestNode;
    before(async () => {
      [n1, n2, n3] = await mode.start();
    });
    after(async () => {
      await Promise.all([...new Set([n1, n2, n3])].map((node) => node?.stop()));
    });

    it("a channel registered on node 1 is denied on node 2, and a send from node 3 reaches only the owner, once", async () => {
      const r1 = fresh("r");
      const owner = new Inbox(n1, "owner");
      const rival = new Inbox(n2, "rival");
      const sender = new Inbox(n3, "sender");
      assert.equal((await owner.client.reg(r1)).event, "registration_succeeded");
      assert.equal((await rival.client.reg(r1)).event, "registration_denied");
      assert.equal((await rival.client.unreg(r1)).event, "registration_not_found");
      assert.equal((await sender.client.send(r1, "one")).event, "sending_succeeded");
      assert.equal((await sender.client.send(r1, "two")).event, "sending_succeeded");
      assert.deepEqual(await owner.waitFor(r1, 2), ["one", "two"]);
      assert.deepEqual(rival.data(r1), []);
      assert.deepEqual(sender.data(r1), []);
    });

    it("a send to a channel nobody owns gets registration_not_found on every node", async () => {
      const nobody = fresh("nobody");
      for (const node of [n1, n2, n3]) {
        assert.equal((await node.client("lonely").send(nobody, "x")).event, "registration_not_found");
      }
    });

    it("after the owner unregisters or disconnects, the channel is free on every node", async () => {
      const r = fresh("r");
      const first = new Inbox(n1, "first");
      const second = new Inbox(n2, "second");
      const third = new Inbox(n3, "third");
      await first.client.reg(r);
      assert.equal((await first.client.unreg(r)).event, "unregistration_succeeded");
      assert.equal((await third.client.send(r, "x")).event, "registration_not_found");
      assert.equal((await second.client.reg(r)).event, "registration_succeeded");
      await second.client.close();
      assert.equal((await third.client.send(r, "x")).event, "registration_not_found");
      assert.equal((await third.client.reg(r)).event, "registration_succeeded");
      assert.equal((await first.client.send(r, "to third")).event, "sending_succeeded");
      assert.deepEqual(await third.waitFor(r, 1), ["to third"]);
    });

    it("a publish on node 2 reaches every subscriber on every node exactly once, the publisher included", async () => {
      const ch = fresh("ps");
      const subscribers = [
        new Inbox(n1, "s1"),
        new Inbox(n1, "s1b"),
        new Inbox(n2, "s2"),
        new Inbox(n3, "s3"),
      ];
      const publisher = subscribers[2] as Inbox;
      for (const s of subscribers) assert.equal((await s.client.sub(ch)).event, "subscription_succeeded");
      assert.equal((await publisher.client.pub(ch, { n: 1 })).event, "publication_succeeded");
      // Order from one sender is kept, so once the marker is in, any duplicate of the first would be too.
      assert.equal((await publisher.client.pub(ch, "marker")).event, "publication_succeeded");
      for (const s of subscribers) assert.deepEqual(await s.waitFor(ch, 2), [{ n: 1 }, "marker"]);
    });

    it("subscription_succeeded means publishes from other nodes arrive from then on", async () => {
      for (let i = 0; i < 10; i++) {
        const ch = fresh("confirmed");
        const subscriber = new Inbox(n1, "confirmed-sub");
        assert.equal((await subscriber.client.sub(ch)).event, "subscription_succeeded");
        await n2.client("confirmed-pub").pub(ch, i);
        assert.deepEqual(await subscriber.waitFor(ch, 1), [i]);
        await subscriber.client.close();
      }
    });

    it("keeps the order of 1,000 publishes from one sender at subscribers on each node", async () => {
      const ch = fresh("order");
      const subscribers = [new Inbox(n1, "o1"), new Inbox(n2, "o2"), new Inbox(n3, "o3")];
      for (const s of subscribers) await s.client.sub(ch);
      const publisher = n2.client("orderly");
      const sent = Array.from({ length: 1000 }, (_, i) => i);
      const replies = await Promise.all(sent.map((i) => publisher.pub(ch, i)));
      assert.ok(replies.every((r) => r.event === "publication_succeeded"));
      for (const s of subscribers) assert.deepEqual(await s.waitFor(ch, 1000, 15_000), sent);
    });

    it("keeps the order of 500 sends from one sender on another node", async () => {
      const r = fresh("order-p2p");
      const owner = new Inbox(n3, "order-owner");
      await owner.client.reg(r);
      const sender = n1.client("order-sender");
      const sent = Array.from({ length: 500 }, (_, i) => `m${i}`);
      const replies = await Promise.all(sent.map((m) => sender.send(r, m)));
      assert.ok(replies.every((reply) => reply.event === "sending_succeeded"));
      assert.deepEqual(await owner.waitFor(r, 500), sent);
    });

    it("pipelined commands are answered in command order: publishes, sends to owners on other nodes, pings", async () => {
      const owners = [new Inbox(n2, "pipe-owner-a"), new Inbox(n3, "pipe-owner-b")];
      const channels = [fresh("pipe-a"), fresh("pipe-b")];
      for (const [i, owner] of owners.entries()) await owner.client.reg(channels[i] as string);
      const client = n1.client("pipe-client");
      const order: number[] = [];
      const expected: string[] = [];
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < 300; i++) {
        const channel = channels[i % 2] as string;
        const kind = i % 3;
        const command =
          kind === 0
            ? client.send(channel, i)
            : kind === 1
              ? client.pub(fresh("pipe-pub"), i)
              : client.ping();
        expected.push(["sending_succeeded", "publication_succeeded", "pong"][kind] as string);
        pending.push(command.then((reply) => order.push(i) && reply.event));
      }
      assert.deepEqual(await Promise.all(pending), expected);
      assert.deepEqual(
        order,
        Array.from({ length: 300 }, (_, i) => i),
      );
      const [a, b] = owners as [Inbox, Inbox];
      const sentTo = (n: number) =>
        Array.from({ length: 300 }, (_, i) => i).filter((i) => i % 3 === 0 && i % 2 === n);
      assert.deepEqual(await a.waitFor(channels[0] as string, 50), sentTo(0));
      assert.deepEqual(await b.waitFor(channels[1] as string, 50), sentTo(1));
    });

    it("a subscribe or register pipelined before a publish is in effect when the publish's consequences arrive", async () => {
      for (let round = 0; round < 5; round++) {
        const trigger = fresh("trigger");
        const answer = fresh("answer");
        const mine = fresh("mine");
        // On another node, a client answers each trigger at once: a publish on `answer` and a send to `mine`.
        const responder = n2.client("pipe-responder", (message) => {
          if (message.event !== "new_message" || message.channel !== trigger) return;
          void responder.pub(answer, "published back");
          void responder.send(mine, "sent back");
        });
        await responder.sub(trigger);
        const asker = new Inbox(n3, "pipe-asker");
        // Neither waits for the one before: the publish must not overtake the subscribe and the register.
        const replies = await Promise.all([
          asker.client.sub(answer),
          asker.client.reg(mine),
          asker.client.pub(trigger, "go"),
        ]);
        assert.deepEqual(
          replies.map((reply) => reply.event),
          ["subscription_succeeded", "registration_succeeded", "publication_succeeded"],
        );
        assert.deepEqual(await asker.waitFor(answer, 1), ["published back"]);
        assert.deepEqual(await asker.waitFor(mine, 1), ["sent back"]);
        await Promise.all([responder.close(), asker.client.close()]);
      }
    });

    it("after unsubscribe a node's client gets nothing more, while the others still do", async () => {
      const ch = fresh("unsub");
      const leaving = new Inbox(n1, "leaving");
      const staying = new Inbox(n3, "staying");
      await leaving.client.sub(ch);
      await staying.client.sub(ch);
      const publisher = n2.client("unsub-pub");
      await publisher.pub(ch, "before");
      await leaving.waitFor(ch, 1);
      assert.equal((await leaving.client.unsub(ch)).event, "unsubscription_succeeded");
      await publisher.pub(ch, "after");
      await publisher.pub(ch, "marker");
      assert.deepEqual(await staying.waitFor(ch, 3), ["before", "after", "marker"]);
      assert.deepEqual(leaving.data(ch), ["before"]);
    });

    it("a name is a p2p channel and a pub/sub channel at once, independently, across nodes", async () => {
      const name = fresh("dual");
      const owner = new Inbox(n1, "dual-owner");
      const subscriber = new Inbox(n2, "dual-sub");
      await owner.client.reg(name);
      await subscriber.client.sub(name);
      const other = n3.client("dual-other");
      await other.send(name, "direct");
      await other.pub(name, "broadcast");
      assert.deepEqual(await owner.waitFor(name, 1), ["direct"]);
      assert.deepEqual(await subscriber.waitFor(name, 1), ["broadcast"]);
      await other.pub(name, "marker");
      await subscriber.waitFor(name, 2);
      assert.deepEqual(owner.data(name), ["direct"]);
    });

    it("data keeps its kind across nodes: text, JSON values and bytes", async () => {
      const r = fresh("kinds");
      const owner = new Inbox(n2, "kinds-owner");
      await owner.client.reg(r);
      const sender = n3.client("kinds-sender");
      const values = ["text", "", 0, false, { a: [1, null] }, new Uint8Array([0, 255, 7]), new Uint8Array()];
      for (const value of values) assert.equal((await sender.send(r, value)).event, "sending_succeeded");
      const received = await owner.waitFor(r, values.length);
      assert.deepEqual(
        received.map((d) => (d instanceof Uint8Array ? [...d] : d)),
        values.map((d) => (d instanceof Uint8Array ? [...d] : d)),
      );
    });
  });
}
