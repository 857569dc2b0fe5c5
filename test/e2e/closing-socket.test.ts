import assert from "node:assert/strict";
import { it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SignJWT } from "jose";
import * as ws from "ws";
import { connect, listeningNode, ProtocolClient } from "../helpers/ws-client.js";

const SECRET = "a shared secret of at least thirty-two bytes";
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: object): Buffer[] };
};

/** A masked client text frame, written past ws's own state (it would refuse to send once closing). */
function rawTextFrame(text: string): Buffer {
  const parts = Sender.frame(Buffer.from(text), {
    fin: true,
    rsv1: false,
    opcode: 1,
    mask: true,
    maskBuffer: Buffer.from([1, 2, 3, 4]),
    readOnly: false,
  });
  return Buffer.concat(parts);
}

it("once the server closes a socket (here: its token expired), frames it still gets are not executed", async () => {
  const node = await listeningNode({ auth: { jwtSecret: SECRET } });
  const token = (sub: string, seconds: number) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(sub)
      .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
      .sign(new TextEncoder().encode(SECRET));

  const reader = new ProtocolClient(
    await connect(node.wsUrl, "json", "reader", `?token=${await token("reader", 600)}`),
    "json",
    "reader",
  );
  assert.equal(await reader.event({ event: "subscribe", channel: "news" }), "subscription_succeeded");
  const expiring = await connect(node.wsUrl, "json", "expiring", `?token=${await token("expiring", 2)}`);
  const writer = new ProtocolClient(expiring, "json", "expiring");
  assert.equal(
    await writer.event({ event: "publish", channel: "news", data: "before" }),
    "publication_succeeded",
  );
  assert.equal((await reader.take()).data, "before");

  // Stop reading, so that the server's 1008 close frame is not answered: the server stays in its closing state.
  const tcp = (expiring.ws as unknown as { _socket: import("node:net").Socket })._socket;
  tcp.pause();
  await sleep(3500);
  tcp.write(rawTextFrame(JSON.stringify({ event: "publish", channel: "news", data: "after expiry" })));
  await sleep(500);
  assert.equal(reader.socket.received.length, 0, "a publish from a closing socket was delivered");
  assert.equal(await reader.event({ event: "ping" }), "pong");
});
