import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  ErrorReply,
  SocketClosedUnexpectedlyError,
} from "@redis/client";
import type { RedisLink } from "../../src/adapters/redis/link.js";
import { isUnavailable, withUnavailableFaults } from "../../src/adapters/redis/link-faults.js";
import { Fault } from "../../src/core/faults.js";

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:6379`), { code });

describe("Redis errors that mean Redis cannot serve become a redis unavailable Fault", () => {
  const unavailable: [string, Error][] = [
    ["the client is offline (no offline queue)", new ClientOfflineError()],
    ["the client is closed", new ClientClosedError()],
    ["the socket closed under a command", new SocketClosedUnexpectedlyError()],
    ["the connection timed out", new ConnectionTimeoutError()],
    ["a connection reset", socketError("ECONNRESET")],
    ["a connection refused", socketError("ECONNREFUSED")],
    ["a host name that does not resolve now", socketError("EAI_AGAIN")],
    ["Redis still loading its data", new ErrorReply("LOADING Redis is loading the dataset in memory")],
    ["a Cluster that is down", new ErrorReply("CLUSTERDOWN The cluster is down")],
    [
      "a replica that cannot take writes",
      new ErrorReply("READONLY You can't write against a read only replica."),
    ],
    ["a slot being moved", new ErrorReply("TRYAGAIN Multiple keys request during rehashing of slot")],
    ["a script still running", new ErrorReply("BUSY Redis is busy running a script.")],
    ["too few replicas to take writes", new ErrorReply("NOREPLICAS Not enough good replicas to write.")],
    [
      "a save that keeps failing",
      new ErrorReply(
        "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk.",
      ),
    ],
    ["out of memory", new ErrorReply("OOM command not allowed when used memory > 'maxmemory'.")],
  ];
  for (const [what, error] of unavailable) {
    it(what, () => assert.equal(isUnavailable(error), true));
  }

  const other: [string, unknown][] = [
    [
      "a script that is not loaded (the link runs its source next)",
      new ErrorReply("NOSCRIPT No matching script"),
    ],
    ["a wrong command", new ErrorReply("ERR unknown command 'FOO'")],
    ["a word that only begins like one of those", new ErrorReply("BUSYKEY Target key name already exists.")],
    ["an error of ours", new Error("a bug")],
    ["an error of Node's own (a bug, not a network failure)", socketError("ERR_INVALID_ARG_TYPE")],
    ["a Fault already", new Fault("timed out", "no answer within 5 ms")],
    ["no error at all", "ECONNRESET"],
  ];
  for (const [what, error] of other) {
    it(`not ${what}`, () => assert.equal(isUnavailable(error), false));
  }

  it("a link's failures: unavailable ones as a Fault with the original as its cause, others unchanged", async () => {
    const offline = new ClientOfflineError();
    const noScript = new ErrorReply("NOSCRIPT No matching script");
    let failure: Error = offline;
    const fail = () => Promise.reject(failure);
    const link = withUnavailableFaults({
      command: fail,
      publish: fail,
      subscribe: fail,
      unsubscribe: fail,
    } as unknown as RedisLink);
    const calls = [
      () => link.command("k", ["GET", "k"]),
      () => link.publish("c", Buffer.from("x")),
      () => link.subscribe("c", () => undefined),
      () => link.unsubscribe("c"),
    ];
    for (const call of calls) {
      await assert.rejects(call(), (error: unknown) => {
        assert.ok(error instanceof Fault);
        assert.equal(error.reason, "redis unavailable");
        assert.equal(error.cause, offline);
        return true;
      });
    }
    failure = noScript;
    for (const call of calls) await assert.rejects(call(), (error: unknown) => error === noScript);
  });
});
