import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type Reply, startWest, type WestNode } from "../../src/index.js";
import { Inbox } from "../cluster/three-nodes.js";
import { FakeNetwork } from "../helpers/fake-network.js";

/**
 * The one-owner rules of a send to another node, written once in core, on a fake network that delays, reorders
 * and drops messages between nodes.
 */
/** A reply's event and reason, which say what went wrong and why. */
const why = ({ event, reason }: Reply) => ({ event, reason });
const noAnswer = { event: "internal_error", reason: "no answer from the owner's node" };

describe("a send to the owner on another node", () => {
  const started: WestNode[] = [];
  after(() => Promise.all(started.map((node) => node.stop())));
  async function nodes(network: FakeNetwork, count: number, commandTimeoutMs = 400): Promise<WestNode[]> {
    const made: WestNode[] = [];
    for (let i = 1; i <= count; i++) {
      const node = await startWest({
        port: false,
        logLevel: "silent",
        commandTimeoutMs,
        adapter: network.adapter(`n${i}`),
      });
      started.push(node);
      made.push(node);
    }
    return made;
  }

  it("with messages delayed and reordered: every send is answered sending_succeeded and delivered once, in each sender's order", async () => {
    const network = new FakeNetwork({ maxDelayMs: 8 }, 7);
    const [n1, n2, n3] = (await nodes(network, 3)) as [WestNode, WestNode, WestNode];
    const owner = new Inbox(n2, "owner");
    assert.equal((await owner.client.reg("svc")).event, "registration_succeeded");
    const senders = [n1, n3, n1, n3].map((node, i) => ({ key: `s${i}`, client: node.client(`s${i}`) }));
    const replies = await Promise.all(
      senders.flatMap(({ key, client }) =>
        Array.from({ length: 40 }, (_, n) => client.send("svc", `${key}:${n}`)),
      ),
    );
    assert.ok(replies.every((reply) => reply.event === "sending_succeeded"));
    const got = await owner.waitFor("svc", 160);
    assert.equal(new Set(got).size, 160, "nothing twice");
    for (const { key } of senders) {
      const mine = got.filter((data) => String(data).startsWith(`${key}:`));
      assert.deepEqual(
        mine,
        Array.from({ length: 40 }, (_, n) => `${key}:${n}`),
        `${key}'s order`,
      );
    }
  });

  it("no answer from a live owner's node: internal_error, the record stays, nothing is sent twice", async () => {
    let dropping = true;
    const network = new FakeNetwork({ drops: (message) => dropping && message.type === "answer" });
    const [n1, n2, n3] = (await nodes(network, 3)) as [WestNode, WestNode, WestNode];
    const owner = new Inbox(n2, "owner");
    await owner.client.reg("svc");
    const sender = n1.client("sender");
    assert.deepEqual(why(await sender.send("svc", "answer lost")), noAnswer);
    assert.deepEqual(await owner.waitFor("svc", 1), ["answer lost"], "delivered at most once, not retried");
    assert.equal((await n3.client("rival").reg("svc")).event, "registration_denied", "the record stays");
    dropping = false;
    assert.equal((await sender.send("svc", "healed")).event, "sending_succeeded");
    assert.deepEqual(await owner.waitFor("svc", 2), ["answer lost", "healed"]);
  });

  it("a lost request to a live owner's node: internal_error and the owner keeps its channel", async () => {
    let dropping = true;
    const network = new FakeNetwork({ drops: (message) => dropping && message.type === "request" });
    const [n1, n2, n3] = (await nodes(network, 3)) as [WestNode, WestNode, WestNode];
    const owner = new Inbox(n2, "owner");
    await owner.client.reg("svc");
    assert.deepEqual(why(await n1.client("sender").send("svc", "lost")), noAnswer);
    assert.equal((await n3.client("rival").reg("svc")).event, "registration_denied");
    dropping = false;
    assert.equal((await n3.client("sender").send("svc", "found")).event, "sending_succeeded");
    assert.deepEqual(await owner.waitFor("svc", 1), ["found"]);
  });

  it("the owner's node is proven dead (heartbeat gone) and unreachable: registration_not_found, and its record is freed", async () => {
    const network = new FakeNetwork();
    const [n1, n2, n3] = (await nodes(network, 3)) as [WestNode, WestNode, WestNode];
    await n2.client("owner").reg("svc");
    const dead = network.node("n2");
    dead.listening = false;
    dead.alive = false;
    assert.equal((await n1.client("sender").send("svc", "x")).event, "registration_not_found");
    assert.equal(network.records.has("svc"), false);
    assert.equal((await n3.client("heir").reg("svc")).event, "registration_succeeded");
  });

  it("no answer from a node that received the send and is now dead: its record is freed, yet the answer is internal_error (it may have delivered)", async () => {
    const network = new FakeNetwork({ drops: (message) => message.type === "answer" });
    const [n1, n2, n3] = (await nodes(network, 3)) as [WestNode, WestNode, WestNode];
    const owner = new Inbox(n2, "owner");
    await owner.client.reg("svc");
    const sending = n1.client("sender").send("svc", "last words");
    await owner.waitFor("svc", 1);
    network.node("n2").alive = false;
    assert.deepEqual(why(await sending), noAnswer);
    assert.equal(network.records.has("svc"), false);
    assert.equal((await n3.client("heir").reg("svc")).event, "registration_succeeded");
  });

  it("an unreachable owner's node that is still alive: internal_error, never a freed record", async () => {
    const network = new FakeNetwork();
    const [n1, n2] = (await nodes(network, 2)) as [WestNode, WestNode];
    await n2.client("owner").reg("svc");
    network.node("n2").listening = false;
    assert.deepEqual(why(await n1.client("sender").send("svc", "x")), noAnswer);
    assert.deepEqual(network.records.get("svc"), { nodeId: "n2", sessionId: 1 });
  });

  it("the owner's node does not hold its lease: it delivers nothing and the sender answers internal_error", async () => {
    const network = new FakeNetwork();
    const [n1, n2] = (await nodes(network, 2)) as [WestNode, WestNode];
    const owner = new Inbox(n2, "owner");
    await owner.client.reg("svc");
    network.node("n2").leased = false;
    assert.deepEqual(why(await n1.client("sender").send("svc", "fenced")), {
      event: "internal_error",
      reason: "owner's node fenced",
    });
    assert.deepEqual(why(await n2.client("local").send("svc", "fenced too")), {
      event: "internal_error",
      reason: "node fenced",
    });
    network.node("n2").leased = true;
    assert.equal((await n1.client("sender").send("svc", "leased")).event, "sending_succeeded");
    assert.deepEqual(await owner.waitFor("svc", 1), ["leased"]);
  });

  it("a record naming a session that is gone: its node deletes the record, then the sender answers registration_not_found", async () => {
    const network = new FakeNetwork();
    const [n1, n2] = (await nodes(network, 2)) as [WestNode, WestNode];
    await n2.client("owner").reg("svc");
    network.records.set("svc", { nodeId: "n2", sessionId: 999 });
    assert.equal((await n1.client("sender").send("svc", "x")).event, "registration_not_found");
    assert.equal(network.records.has("svc"), false);
  });

  it("a record naming the sender's own node, which has no such owner, is stale: freed, registration_not_found", async () => {
    const network = new FakeNetwork();
    const [n1] = (await nodes(network, 1)) as [WestNode];
    network.records.set("svc", { nodeId: "n1", sessionId: 999 });
    assert.equal((await n1.client("sender").send("svc", "x")).event, "registration_not_found");
    assert.equal(network.records.has("svc"), false);
  });

  describe("to an owner a recent send reached (no lookup)", () => {
    /** An owner of "svc" on n2, and a sender on n1 whose first send reached it. */
    async function known(network: FakeNetwork) {
      const [n1, n2, n3] = (await nodes(network, 3)) as [WestNode, WestNode, WestNode];
      const owner = new Inbox(n2, "owner");
      await owner.client.reg("svc");
      const sender = n1.client("sender");
      assert.equal((await sender.send("svc", "first")).event, "sending_succeeded");
      return { n1, n2, n3, owner, sender };
    }

    it("goes straight to the owner's node: one lookup for many sends", async () => {
      const network = new FakeNetwork();
      const { owner, sender } = await known(network);
      for (let i = 0; i < 5; i++) assert.equal((await sender.send("svc", i)).event, "sending_succeeded");
      assert.deepEqual(await owner.waitFor("svc", 6), ["first", 0, 1, 2, 3, 4]);
      assert.equal(network.lookups, 1);
    });

    it("after the owner moved to another node, the next send reaches the new owner only", async () => {
      const network = new FakeNetwork();
      const { n3, owner, sender } = await known(network);
      const second = new Inbox(n3, "second");
      await owner.client.unreg("svc");
      assert.equal((await second.client.reg("svc")).event, "registration_succeeded");
      assert.equal((await sender.send("svc", "to second")).event, "sending_succeeded");
      assert.deepEqual(await second.waitFor("svc", 1), ["to second"]);
      assert.deepEqual(owner.data("svc"), ["first"]);
    });

    it("after the owner left and nobody took the channel: registration_not_found", async () => {
      const network = new FakeNetwork();
      const { owner, sender } = await known(network);
      await owner.client.close();
      assert.equal((await sender.send("svc", "y")).event, "registration_not_found");
    });

    it("its node died and another node's client took the channel over: the send reaches the heir", async () => {
      const network = new FakeNetwork();
      const { n3, sender } = await known(network);
      const dead = network.node("n2");
      dead.listening = false;
      dead.alive = false;
      const heir = new Inbox(n3, "heir");
      assert.equal((await heir.client.reg("svc")).event, "registration_succeeded");
      assert.equal((await sender.send("svc", "to the heir")).event, "sending_succeeded");
      assert.deepEqual(await heir.waitFor("svc", 1), ["to the heir"]);
    });

    it("no answer from its live node: internal_error, delivered once, not sent again through the record", async () => {
      let dropping = false;
      const network = new FakeNetwork({ drops: (message) => dropping && message.type === "answer" });
      const { owner, sender } = await known(network);
      dropping = true;
      assert.deepEqual(why(await sender.send("svc", "answer lost")), noAnswer);
      assert.equal(network.lookups, 1, "no second try through the record");
      dropping = false;
      assert.equal((await sender.send("svc", "healed")).event, "sending_succeeded");
      assert.deepEqual(await owner.waitFor("svc", 3), ["first", "answer lost", "healed"]);
    });

    it("no receiver at its live node: internal_error, not sent again through the record", async () => {
      const network = new FakeNetwork();
      const { sender } = await known(network);
      network.node("n2").listening = false;
      assert.deepEqual(why(await sender.send("svc", "y")), noAnswer);
      assert.equal(network.lookups, 1, "a receiver count of 0 proves nothing while the node lives");
    });

    it("its node answers fenced (lease lost, or a send to an incarnation it has left): the record is looked up again", async () => {
      const network = new FakeNetwork();
      const { owner, sender } = await known(network);
      network.node("n2").leased = false;
      assert.deepEqual(why(await sender.send("svc", "fenced")), {
        event: "internal_error",
        reason: "owner's node fenced",
      });
      assert.equal(network.lookups, 2, "a fenced answer looks the record up again");
      network.node("n2").leased = true;
      assert.equal((await sender.send("svc", "leased")).event, "sending_succeeded");
      assert.deepEqual(await owner.waitFor("svc", 2), ["first", "leased"]);
    });

    it("a client of the sender's own node registered the channel meanwhile: delivered to it, and its record stays", async () => {
      const network = new FakeNetwork({ maxDelayMs: 5 });
      const { n1, owner, sender } = await known(network);
      await owner.client.unreg("svc");
      // The send goes to the owner it knows (now gone) while a client of its own node takes the channel.
      const sending = sender.send("svc", "second");
      const here = new Inbox(n1, "here");
      assert.equal((await here.client.reg("svc")).event, "registration_succeeded");
      assert.equal((await sending).event, "sending_succeeded");
      assert.deepEqual(await here.waitFor("svc", 1), ["second"]);
      assert.deepEqual(
        network.records.get("svc")?.nodeId,
        "n1",
        "the new owner's record is not taken for stale",
      );
    });
  });
});
