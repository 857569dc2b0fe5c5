import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { WestNode } from "../../src/index.js";
import { connect, type TestSocket } from "../helpers/ws-client.js";
import type { Mode } from "./three-nodes.js";

const KEY = "the-backend's-key";
let unique = 0;
const fresh = (what: string) => `api.${what}-${process.pid}-${++unique}`;

type Body = Record<string, unknown>;

async function api(node: WestNode, command: string, body: Body): Promise<{ status: number; body: Body }> {
  const response = await fetch(`${node.url}/api/${command}`, {
    method: "POST",
    headers: { authorization: `apikey ${KEY}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Body };
}

const wsUrl = (node: WestNode) => (node.url as string).replace(/^http/, "ws");
const json = (frame: unknown): Body => JSON.parse(String(frame)) as Body;

async function command(socket: TestSocket, fields: Body): Promise<Body> {
  socket.send(JSON.stringify(fields));
  return json(await socket.take(5000));
}

/** docs/http-api.md, checked on three nodes: any node's API acts on the whole system. */
export function apiSuite(mode: Mode, skip: string | false = false): void {
  describe(`the HTTP API across three nodes: ${mode.name}`, { skip }, () => {
    let nodes: WestNode[];
    before(async () => {
      nodes = await mode.start({
        port: 0,
        host: "127.0.0.1",
        api: { key: KEY },
        channels: [{ match: "api.room.>", history: { size: 10, ttlSeconds: 60 }, presence: true }],
      });
    });
    after(async () => {
      await Promise.all([...new Set(nodes)].map((node) => node?.stop()));
    });

    it("a publish through one node's API reaches subscribers on every node", async () => {
      const channel = fresh("news");
      const readers = await Promise.all(nodes.map((node, i) => connect(wsUrl(node), "json", `reader${i}`)));
      for (const reader of readers)
        assert.equal(
          (await command(reader, { event: "subscribe", channel })).event,
          "subscription_succeeded",
        );
      const [n1, n2] = nodes as [WestNode, WestNode];
      assert.equal(
        (await api(n2, "publish", { channel, data: "hello" })).body.event,
        "publication_succeeded",
      );
      for (const reader of readers)
        assert.deepEqual(json(await reader.take(5000)), {
          event: "new_message",
          from: "api",
          channel,
          data: "hello",
        });
      assert.equal((await api(n1, "publish", { channel, data: "again" })).status, 200);
      for (const reader of readers) assert.equal(json(await reader.take(5000)).data, "again");
    });

    it("send and request through one node's API reach the owner on another", async () => {
      const channel = fresh("svc");
      const [n1, , n3] = nodes as [WestNode, WestNode, WestNode];
      const owner = await connect(wsUrl(n3), "json", "owner");
      assert.equal((await command(owner, { event: "register", channel })).event, "registration_succeeded");
      assert.equal((await api(n1, "send", { channel, data: "hi" })).body.event, "sending_succeeded");
      assert.equal(json(await owner.take(5000)).data, "hi");
      const asked = api(n1, "request", { channel, data: "q", id: 9 });
      const request = json(await owner.take(5000));
      owner.send(JSON.stringify({ event: "reply", channel: request.reply_to, data: "a" }));
      assert.deepEqual(await asked, {
        status: 200,
        body: { event: "response", from: "owner", channel, id: 9, data: "a" },
      });
    });

    it("disconnect through one node's API closes the key's WebSockets on every node with 4003", async () => {
      const key = fresh("kicked");
      const kicked = await Promise.all(nodes.map((node) => connect(wsUrl(node), "json", key)));
      const spared = await connect(wsUrl(nodes[1] as WestNode), "json", fresh("spared"));
      const expected = kicked.length;
      const { status, body } = await api(nodes[0] as WestNode, "disconnect", { key });
      assert.deepEqual(
        { status, body },
        {
          status: 200,
          body: { event: "disconnect_succeeded", from: "west", data: expected },
        },
      );
      for (const socket of kicked) assert.equal(await socket.closedWith(5000), 4003);
      assert.equal(spared.closeCode, undefined);
    });

    it("presence and history through one node's API cover subscribers and publishes on every node", async () => {
      const channel = `api.room.${fresh("r")}`;
      const members = await Promise.all(nodes.map((node, i) => connect(wsUrl(node), "json", `member${i}`)));
      for (const member of members)
        assert.equal(
          (await command(member, { event: "subscribe", channel })).event,
          "subscription_succeeded",
        );
      for (const [i, node] of nodes.entries()) await api(node, "publish", { channel, data: `m${i}` });
      const [n1, n2, n3] = nodes as [WestNode, WestNode, WestNode];
      const presence = await api(n3, "presence", { channel });
      assert.deepEqual(presence.body.data, Object.fromEntries(members.map((_, i) => [`member${i}`, 1])));
      const history = await api(n2, "history", { channel, limit: 10 });
      assert.equal(history.status, 200);
      assert.deepEqual(
        (history.body.data as Body[]).map((item) => item.data),
        nodes.map((_, i) => `m${i}`),
      );
      assert.equal(
        (await api(n1, "history", { channel: "api.plain", limit: 1 })).body.event,
        "history_failed",
      );
    });

    it("a batch through one node's API keeps its order at subscribers on every node; a wrong key or a bad body is refused", async () => {
      const channel = fresh("batch");
      const readers = await Promise.all(
        nodes.map((node, i) => connect(wsUrl(node), "json", `batch-reader${i}`)),
      );
      for (const reader of readers)
        assert.equal(
          (await command(reader, { event: "subscribe", channel })).event,
          "subscription_succeeded",
        );
      const commands = Array.from({ length: 100 }, (_, i) => ({ event: "publish", channel, data: i }));
      const { status, body } = await api(nodes[2] as WestNode, "batch", { commands });
      assert.equal(status, 200);
      assert.equal((body.replies as Body[]).length, 100);
      for (const reader of readers) {
        await reader.until(() => reader.received.length >= 100, 5000, "100 deliveries");
        assert.deepEqual(
          reader.received.map((frame) => json(frame).data),
          commands.map((c) => c.data),
        );
      }
      const wrongKey = await fetch(`${nodes[0]?.url}/api/publish`, {
        method: "POST",
        headers: { authorization: "apikey nope" },
        body: JSON.stringify({ channel, data: 1 }),
      });
      assert.equal(wrongKey.status, 401);
      const badBody = await fetch(`${nodes[1]?.url}/api/publish`, {
        method: "POST",
        headers: { authorization: `apikey ${KEY}` },
        body: "{",
      });
      assert.equal(badBody.status, 400);
    });

    it("info lists every node of the system, from any node", async () => {
      const distinct = [...new Set(nodes)];
      for (const node of distinct) {
        const { status, body } = await api(node, "info", {});
        assert.equal(status, 200);
        const listed = (body.data as Body[]).map((info) => info.url).sort();
        assert.deepEqual(listed, distinct.map((n) => n.url).sort());
        for (const info of body.data as Body[]) {
          assert.equal(typeof info.nodeId, "string");
          assert.equal(typeof info.connections, "number");
          assert.ok((info.uptimeMs as number) >= 0);
        }
      }
    });
  });
}
