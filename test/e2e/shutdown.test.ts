import assert from "node:assert/strict";
import { once } from "node:events";
import { createConnection } from "node:net";
import { after, describe, it } from "node:test";
import { PROTOCOL_NAMES } from "../../src/protocols/codec.js";
import { connect, listeningNode, protocolClient, tryUpgrade } from "../helpers/ws-client.js";

describe("shutdown", () => {
  it("node.stop() closes every open socket with 1001", async () => {
    const node = await listeningNode();
    const clients = await Promise.all(PROTOCOL_NAMES.map((p) => protocolClient(node.wsUrl, p, `stop-${p}`)));
    for (const [i, c] of clients.entries()) {
      assert.equal(
        (await c.request({ event: "register", channel: `stop-${i}` })).event,
        "registration_succeeded",
      );
      assert.equal(
        (await c.request({ event: "subscribe", channel: "stop-ps" })).event,
        "subscription_succeeded",
      );
    }
    const native = node.client("stop-native");
    await node.stop();
    for (const c of clients)
      assert.equal(await c.socket.closedWith(), 1001, `${c.protocol} closed with 1001`);
    await assert.rejects(native.ping(), /closed/);
  });

  it("after stop() no new socket opens", async () => {
    const node = await listeningNode();
    await node.stop();
    await assert.rejects(connect(node.wsUrl, "json", "too-late"));
  });

  it("stop() with sockets mid-traffic still closes them all with 1001", async () => {
    const node = await listeningNode();
    const subscriber = await protocolClient(node.wsUrl, "json", "busy-sub");
    const publisher = await protocolClient(node.wsUrl, "text", "busy-pub");
    assert.equal(
      (await subscriber.request({ event: "subscribe", channel: "busy" })).event,
      "subscription_succeeded",
    );
    for (let i = 0; i < 200; i++) publisher.command({ event: "publish", channel: "busy", data: `m${i}` });
    await node.stop();
    assert.equal(await subscriber.socket.closedWith(), 1001);
    assert.equal(await publisher.socket.closedWith(), 1001);
  });
});

describe("shutdown during an upgrade", () => {
  it("an upgrade whose handshake hook answers after stop() began is refused, not opened", async () => {
    let hookCalled!: () => void;
    const called = new Promise<void>((resolve) => {
      hookCalled = resolve;
    });
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    const node = await listeningNode({
      handshake: async () => {
        hookCalled();
        await gate;
        return true;
      },
    });
    const upgrade = tryUpgrade(node.wsUrl, "/websocket/json/late");
    await called;
    const stopped = node.stop();
    openGate();
    await stopped;
    const outcome = await upgrade;
    assert.ok("status" in outcome, "no socket opens on a stopped node");
    assert.equal(outcome.status, 503);
  });
});

describe("shutdown with a handshake hook that never answers", () => {
  it("stop() refuses the pending upgrade with 503 and does not wait for the hook", async () => {
    let hookCalled!: () => void;
    const called = new Promise<void>((resolve) => {
      hookCalled = resolve;
    });
    const node = await listeningNode({
      handshake: () => {
        hookCalled();
        return new Promise(() => undefined);
      },
    });
    const upgrade = tryUpgrade(node.wsUrl, "/websocket/text/stuck");
    await called;
    await node.stop();
    const outcome = await upgrade;
    assert.ok("status" in outcome, "no socket opens");
    assert.equal(outcome.status, 503);
  });
});

describe("shutdown with a refused client that never hangs up", () => {
  it("stop() still ends: the half-open socket is dropped after the grace period (1 s)", async () => {
    const node = await listeningNode();
    const raw = createConnection({ host: "127.0.0.1", port: node.port as number, allowHalfOpen: true });
    after(() => raw.destroy());
    raw.on("error", () => undefined);
    await once(raw, "connect");
    raw.write(
      "GET /websocket/json/a%20b HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    const [response] = (await once(raw, "data")) as [Buffer];
    assert.match(response.toString("latin1"), /^HTTP\/1\.1 400 /);
    // The client keeps its side open; stop() must not wait for it forever (the test would time out).
    await node.stop();
  });
});
