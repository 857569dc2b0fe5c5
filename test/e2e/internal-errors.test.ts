import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Fault, type Reason } from "../../src/index.js";
import { PROTOCOL_NAMES } from "../../src/protocols/codec.js";
import { delayedAdapter } from "../helpers/delayed-adapter.js";
import { decodeFrame, listeningNode, protocolClient } from "../helpers/ws-client.js";

/** Where the failures below come from: no client may ever read it. */
const SECRET = "10.0.0.7:6379";

describe("internal_error over WebSockets says why, from the closed list, never the error's own text", async () => {
  const nodes: [string, Awaited<ReturnType<typeof listeningNode>>, Reason][] = [
    [
      "an adapter that never answers",
      await listeningNode({ adapter: delayedAdapter({ hang: true }), commandTimeoutMs: 50 }),
      "timed out",
    ],
    [
      "an adapter that fails with a plain error",
      await listeningNode({ adapter: delayedAdapter({ fail: new Error(`ERR connection to ${SECRET}`) }) }),
      "server fault",
    ],
    [
      "an adapter that fails with a Fault",
      await listeningNode({
        adapter: delayedAdapter({ fail: new Fault("redis unavailable", `no route to ${SECRET}`) }),
      }),
      "redis unavailable",
    ],
  ];

  for (const [what, node, reason] of nodes) {
    for (const protocol of PROTOCOL_NAMES) {
      it(`${protocol}: ${what}: ${protocol === "text" ? "the frame as it was, no reason" : reason}`, async () => {
        const client = await protocolClient(node.wsUrl, protocol, `faulty-${protocol}`);
        for (const command of [
          { event: "register", channel: "r", id: "1" },
          { event: "publish", channel: "p", id: "2", data: "x" },
        ]) {
          client.command(command);
          const frame = await client.socket.take();
          assert.ok(!Buffer.from(frame).includes(SECRET), "nothing of the error's text");
          if (protocol === "text") assert.equal(frame, `west ${command.channel}:internal_error`);
          else
            assert.deepEqual(decodeFrame(protocol, frame), {
              event: "internal_error",
              from: "west",
              channel: command.channel,
              id: command.id,
              reason,
            });
        }
        assert.equal((await client.request({ event: "ping" })).event, "pong");
      });
    }
  }
});
