import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Message, WestNode } from "../../src/index.js";
import { startWestProcess } from "../helpers/cli-process.js";
import { connect } from "../helpers/ws-client.js";
import { Inbox, type Mode } from "./three-nodes.js";

let unique = 0;
const fresh = (what: string) => `room.${what}-${process.pid}-${++unique}`;

/** The suite's channel rules (every node of a system must have the same: the killed process's too). */
export const PRESENCE_CHANNELS = [{ match: "room.>", presence: true, joinLeave: true }];

const notices = (inbox: Inbox, channel: string) =>
  inbox.messages
    .filter((m: Message) => (m.event === "join" || m.event === "leave") && m.channel === channel)
    .map((m) => `${m.from} ${m.event}`);

/**
 * docs/protocol.md, "Presence and join/leave (ext)", checked with clients spread over three nodes. `process`: the
 * arguments of a `west start` that joins the same system, to kill it with SIGKILL (Redis modes only).
 */
export function presenceSuite(
  mode: Mode,
  skip: string | false = false,
  process?: () => { args: string[]; heartbeatTtlMs: number },
): void {
  describe(`presence across three nodes: ${mode.name}`, { skip }, () => {
    let n1: WestNode;
    let n2: WestNode;
    let n3: WestNode;
    before(async () => {
      [n1, n2, n3] = await mode.start({ channels: PRESENCE_CHANNELS });
    });
    after(async () => {
      await Promise.all([...new Set([n1, n2, n3])].map((node) => node?.stop()));
    });

    it("presence from any node counts every node's subscribers; joins and leaves reach every other subscriber once", async () => {
      const ch = fresh("p");
      const watcher = new Inbox(n1, "watcher");
      await watcher.client.sub(ch);
      const a = new Inbox(n2, "alice");
      const a2 = new Inbox(n3, "alice");
      const b = new Inbox(n3, "bob");
      for (const s of [a, a2, b]) assert.equal((await s.client.sub(ch)).event, "subscription_succeeded");
      for (const node of [n1, n2, n3])
        assert.deepEqual((await node.client("asker").presence(ch)).data, { watcher: 1, alice: 2, bob: 1 });
      await a.client.unsub(ch);
      await b.client.close();
      await waitUntil(() => notices(watcher, ch).length === 5, "5 notices at the watcher");
      assert.deepEqual(notices(watcher, ch), [
        "alice join",
        "alice join",
        "bob join",
        "alice leave",
        "bob leave",
      ]);
      await waitUntil(() => notices(a2, ch).length === 3, "3 notices at alice's second connection");
      assert.deepEqual(notices(a2, ch), ["bob join", "alice leave", "bob leave"], "not its own join");
      assert.deepEqual((await n2.client("asker").presence(ch)).data, { watcher: 1, alice: 1 });
    });

    if (process !== undefined)
      it("a node that dies (kill -9) leaves presence, its subscribers' leaves sent once, within the heartbeat TTL plus 5 s", async () => {
        const ch = fresh("dead");
        const watcher = new Inbox(n1, "watcher");
        await watcher.client.sub(ch);
        const { args, heartbeatTtlMs } = process();
        const dir = await mkdtemp(join(tmpdir(), "west-presence-"));
        const config = join(dir, "west.json");
        await writeFile(config, JSON.stringify({ channels: PRESENCE_CHANNELS, redis: { heartbeatTtlMs } }));
        const { west, port } = await startWestProcess(["--port", "0", "--config", config, ...args]);
        const doomed = await Promise.all(
          ["d1", "d2"].map((key) => connect(`ws://127.0.0.1:${port}`, "json", key)),
        );
        for (const socket of doomed) {
          socket.send(JSON.stringify({ event: "subscribe", channel: ch, id: "1" }));
          await socket.take(5000);
        }
        await waitUntil(() => notices(watcher, ch).length === 2, "the two joins");
        assert.deepEqual((await n2.client("asker").presence(ch)).data, { watcher: 1, d1: 1, d2: 1 });
        const killedAt = Date.now();
        west.signal("SIGKILL");
        await waitUntil(() => notices(watcher, ch).length === 4, "the two leaves", heartbeatTtlMs + 5000);
        const took = Date.now() - killedAt;
        assert.deepEqual(notices(watcher, ch).slice(2).sort(), ["d1 leave", "d2 leave"]);
        assert.deepEqual((await n3.client("asker").presence(ch)).data, { watcher: 1 });
        await new Promise((resolve) => setTimeout(resolve, 1500));
        assert.equal(notices(watcher, ch).length, 4, `each leave once (they came ${took} ms after the kill)`);
      });
  });
}

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
