import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WebSocketServer } from "ws";
import { afterClose, closeReasonOf } from "../../src/sdk/close-reasons.js";
import { next, sdkClient } from "./sdk-helpers.js";

describe("what the SDK does after each close code", () => {
  it("maps the node's close codes to reasons and reasons to what comes next", () => {
    const table = [1000, 1001, 1006, 1008, 1009, 1011, 1012, 1013, 4001, 4002, 4003, 4004, 4999].map(
      (code) => [code, closeReasonOf(code), afterClose(closeReasonOf(code))],
    );
    assert.deepEqual(table, [
      [1000, "normal", "reconnect_later"],
      [1001, "going_away", "reconnect_later"],
      [1006, "dropped", "reconnect_later"],
      [1008, "token_expired", "reconnect_now"],
      [1009, "too_large", "reconnect_later"],
      [1011, "server_error", "reconnect_later"],
      [1012, "going_away", "reconnect_later"],
      [1013, "overloaded", "reconnect_later"],
      [4001, "slow", "reconnect_later"],
      [4002, "rate", "reconnect_later"],
      [4003, "disconnected", "stay_closed"],
      [4004, "resync", "reconnect_now"],
      [4999, "other", "reconnect_later"],
    ]);
  });

  it("4004 (resync) reconnects at once, without waiting out the backoff", async () => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await new Promise((resolve) => server.once("listening", resolve));
    let connections = 0;
    server.on("connection", (socket) => {
      if (++connections === 1) socket.close(4004, "resync");
    });
    const { port } = server.address() as { port: number };
    const client = sdkClient(`ws://127.0.0.1:${port}`, {
      key: "resyncing",
      reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 },
    });
    const [, info] = (await next(client, "state", (state) => state === "disconnected")) as unknown as [
      string,
      { reason: string },
    ];
    assert.equal(info.reason, "resync");
    await next(client, "state", (state) => state === "connected");
    assert.equal(connections, 2);
    client.close();
    server.close();
  });
});
