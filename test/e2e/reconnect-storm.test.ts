import assert from "node:assert/strict";
import { it } from "node:test";
import WebSocket from "ws";
import { startWest, type WestNode } from "../../src/index.js";

/** Enough clients at once to overflow Node's default listen backlog (511) several times. */
const CLIENTS = 2_000;
const TIMEOUT_MS = 60_000;

/** A client that opens, subscribes to its own channel and waits for the reply; the error when it cannot. */
function subscribeOnce(url: string, i: number): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}/websocket/json/storm-${i}`, { handshakeTimeout: TIMEOUT_MS });
    ws.once("open", () => ws.send(JSON.stringify({ event: "subscribe", channel: `feed-${i}`, id: 1 })));
    ws.once("message", (data) => {
      const reply = JSON.parse(String(data)) as { event: string };
      if (reply.event === "subscription_succeeded") resolve(ws);
      else reject(new Error(`client ${i}: ${reply.event}`));
    });
    ws.once("unexpected-response", (_request, response) =>
      reject(new Error(`client ${i}: upgrade refused ${response.statusCode}`)),
    );
    ws.once("error", (error) => reject(new Error(`client ${i}: ${error.message}`)));
  });
}

/** Every client at once, none waiting for another; each refusal or error counted. */
async function storm(url: string): Promise<{ open: WebSocket[]; errors: string[] }> {
  const outcomes = await Promise.allSettled(Array.from({ length: CLIENTS }, (_, i) => subscribeOnce(url, i)));
  const open = outcomes.flatMap((outcome) => (outcome.status === "fulfilled" ? [outcome.value] : []));
  const errors = outcomes.flatMap((outcome) =>
    outcome.status === "rejected" ? [String((outcome.reason as Error).message)] : [],
  );
  return { open, errors };
}

it(`a reconnect storm: ${CLIENTS} clients connect and subscribe at once, before and after a node restart, none refused`, async () => {
  let node: WestNode = await startWest({ port: 0, logLevel: "silent" });
  const port = node.port as number;
  try {
    const url = `ws://127.0.0.1:${port}`;
    const first = await storm(url);
    assert.deepEqual(first.errors.slice(0, 5), [], `${first.errors.length} failed`);
    assert.equal(first.open.length, CLIENTS);
    const closed = first.open.map((ws) => new Promise((resolve) => ws.once("close", resolve)));
    await node.stop();
    await Promise.all(closed);
    node = await startWest({ port, logLevel: "silent" });
    const second = await storm(url);
    assert.deepEqual(second.errors.slice(0, 5), [], `${second.errors.length} failed after the restart`);
    assert.equal(second.open.length, CLIENTS);
    for (const ws of second.open) ws.terminate();
  } finally {
    await node.stop();
  }
});
