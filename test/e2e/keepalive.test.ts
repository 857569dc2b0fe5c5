import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connect, listeningNode, protocolClient, watchedAdapter } from "../helpers/ws-client.js";

const INTERVAL_MS = 100;

describe("keepalive", async () => {
  const watched = watchedAdapter();
  const node = await listeningNode({ keepaliveIntervalMs: INTERVAL_MS, adapter: watched.factory });

  it("a client that does not answer pings is dropped and its registration becomes free", async () => {
    const silent = await connect(node.wsUrl, "json", "ka-silent", "", { autoPong: false });
    silent.send(JSON.stringify({ event: "register", channel: "ka-reg" }));
    assert.equal(JSON.parse((await silent.take()) as string).event, "registration_succeeded");
    const other = await protocolClient(node.wsUrl, "text", "ka-other");
    assert.equal(
      (await other.request({ event: "register", channel: "ka-reg" })).event,
      "registration_denied",
    );

    await silent.closedWith(10 * INTERVAL_MS);
    assert.ok(silent.pings >= 1, "it was pinged before being dropped");
    await watched.seen("release ka-reg");
    assert.equal(
      (await other.request({ event: "register", channel: "ka-reg" })).event,
      "registration_succeeded",
    );
  });

  it("a client that answers pings stays connected across several intervals", async () => {
    const live = await protocolClient(node.wsUrl, "pb", "ka-live");
    assert.equal(
      (await live.request({ event: "register", channel: "ka-live-reg" })).event,
      "registration_succeeded",
    );
    await live.socket.until(() => live.socket.pings >= 4, 20 * INTERVAL_MS, "four pings");
    assert.equal(live.socket.closeCode, undefined);
    assert.equal((await live.request({ event: "ping" })).event, "pong");
    assert.equal(
      (await live.request({ event: "register", channel: "ka-live-reg" })).event,
      "registration_already_exist",
    );
  });
});
