import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import type { AnswerBody, DirectMessage, RequestBody } from "../../src/core/node-messages.js";
import { NodeRequests, type Serve } from "../../src/core/node-requests.js";
import { DELIVERY_EVENT } from "../../src/index.js";
import { capturingLogger } from "../helpers/log-capture.js";

const send = (n: number): RequestBody => ({
  type: "send",
  owner: { nodeId: "b", sessionId: 1 },
  delivery: { event: DELIVERY_EVENT, from: "u", channel: "c", data: n },
});
const delivered: AnswerBody = { type: "send", outcome: "delivered" };
const fenced: AnswerBody = { type: "send", outcome: "fenced" };

const serveNothing: Serve = () => {
  throw new Error("no request expected");
};

function nodeRequests(direct: ConstructorParameters<typeof NodeRequests>[0], serve = serveNothing) {
  return new NodeRequests(direct, serve, capturingLogger().logger, 2000);
}

/** An answer from node b, as its backplane would hand it over. */
function answer(requests: NodeRequests, requestId: number, body: AnswerBody): void {
  requests.receive("b", { type: "answer", requestId, body });
}

/** Requests as the other node sees them, so a test can answer them in any order, late, or never. */
function recordingDirect() {
  const sent: { nodeId: string; message: DirectMessage }[] = [];
  return {
    sent,
    direct: (nodeId: string, message: DirectMessage) => {
      sent.push({ nodeId, message });
      return true;
    },
  };
}

describe("requests to other nodes (correlation id, timeout, cleanup)", () => {
  it("answers that come back in another order reach the requests they answer", async () => {
    const { sent, direct } = recordingDirect();
    const requests = nodeRequests(direct);
    const asked = [0, 1, 2, 3].map((n) => requests.ask("b", send(n), 1000));
    assert.equal(requests.inFlight, 4);
    const ids = sent.map(({ message }) => message.requestId);
    assert.equal(new Set(ids).size, 4, "each request has its own correlation id");
    const answers: AnswerBody[] = [delivered, fenced, fenced, delivered];
    for (const index of [2, 0, 3, 1]) answer(requests, ids[index] as number, answers[index] as AnswerBody);
    assert.deepEqual(await Promise.all(asked), answers);
    assert.equal(requests.inFlight, 0);
  });

  it("a request whose message or answer is lost ends with timeout after its time, and leaves no waiter", async () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const { direct } = recordingDirect();
      const requests = nodeRequests(direct);
      let outcome: unknown;
      void requests.ask("b", send(1), 500).then((answer) => {
        outcome = answer;
      });
      mock.timers.tick(499);
      assert.equal(requests.inFlight, 1);
      mock.timers.tick(1);
      assert.equal(requests.inFlight, 0);
      await Promise.resolve();
      assert.equal(outcome, "timeout");
    } finally {
      mock.timers.reset();
    }
  });

  it("a request waits three quarters of the command timeout unless told otherwise", () => {
    assert.equal(nodeRequests(recordingDirect().direct).askTimeoutMs, 1500);
    assert.equal(new NodeRequests(() => true, serveNothing, capturingLogger().logger, 1).askTimeoutMs, 1);
  });

  it("an answer that comes after its request timed out is dropped and changes nothing", async () => {
    const { sent, direct } = recordingDirect();
    const requests = nodeRequests(direct);
    assert.equal(await requests.ask("b", send(1), 1), "timeout");
    const next = requests.ask("b", send(2), 1000);
    answer(requests, sent[0]?.message.requestId as number, fenced);
    assert.equal(requests.inFlight, 1, "the late answer did not end the next request");
    answer(requests, sent[1]?.message.requestId as number, delivered);
    assert.deepEqual(await next, delivered);
  });

  it("a message no one received (the backplane knows at once) ends the request as unreachable", async () => {
    const requests = nodeRequests(() => Promise.resolve(false));
    assert.equal(await requests.ask("gone", send(1), 60_000), "unreachable");
    assert.equal(requests.inFlight, 0);
  });

  it("a backplane that fails rejects the request and leaves no waiter, synchronously or not", async () => {
    const failing = nodeRequests(() => Promise.reject(new Error("redis down")));
    await assert.rejects(failing.ask("b", send(1), 60_000), /redis down/);
    assert.equal(failing.inFlight, 0);
    const throwing = nodeRequests(() => {
      throw new Error("not connected");
    });
    await assert.rejects(throwing.ask("b", send(1), 60_000), /not connected/);
    assert.equal(throwing.inFlight, 0);
  });

  it("correlation ids wrap around within 32 bits and stay distinct among requests in flight", async () => {
    const { sent, direct } = recordingDirect();
    const requests = nodeRequests(direct);
    (requests as unknown as { lastId: number }).lastId = 0xffffffff - 1;
    const asked = [1, 2, 3].map((n) => requests.ask("b", send(n), 1000));
    const ids = sent.map(({ message }) => message.requestId);
    assert.deepEqual(ids, [0xffffffff, 1, 2]);
    for (const id of ids) answer(requests, id, delivered);
    assert.deepEqual(await Promise.all(asked), [delivered, delivered, delivered]);
  });

  it("a request from another node is served, and answered to that node under the request's correlation id", async () => {
    const { sent, direct } = recordingDirect();
    const requests = nodeRequests(direct, async (body) => {
      assert.equal(body.type, "send");
      return fenced;
    });
    requests.receive("a", { type: "request", requestId: 41, body: send(1) });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, [{ nodeId: "a", message: { type: "answer", requestId: 41, body: fenced } }]);
  });

  it("a request this node cannot serve is logged and left unanswered (the asker times out), never thrown", async () => {
    const { sent, direct } = recordingDirect();
    const { logger, lines } = capturingLogger();
    const requests = new NodeRequests(direct, serveNothing, logger, 2000);
    requests.receive("a", { type: "request", requestId: 7, body: send(1) });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(sent, []);
    assert.ok(lines.some((line) => line.msg === "could not answer a node's request"));
  });
});
