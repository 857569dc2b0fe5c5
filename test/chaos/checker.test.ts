import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkHistory } from "../../bench/chaos/checker/checker.js";
import { HistoryIndex } from "../../bench/chaos/checker/history-index.js";
import type { RuleName, Verdict } from "../../bench/chaos/checker/verdict.js";
import { HistoryBuilder } from "./history-builder.js";

/** The rules a verdict says were broken, each once, sorted. */
function broken(verdict: Verdict): RuleName[] {
  return [...new Set(verdict.violations.map((v) => v.rule))].sort();
}

/**
 * Three nodes, an owner `a.1` of `p` on node 0, a sender `s.1` on node 1, another client `b.1` on node 2.
 * `turnStep`: the history has driver turns, each event that many after the previous (see HistoryBuilder).
 */
function threeNodes(turnStep?: number): HistoryBuilder {
  const h = new HistoryBuilder(10, turnStep);
  h.node(0).node(1).node(2);
  h.add({ type: "run", phase: "start", epochMs: 0 });
  h.open("a.1", 0).open("s.1", 1).open("b.1", 2);
  h.register("a.1", "p");
  return h;
}

/** Ends the history the way a run ends: the driver closes the sockets, then stops the nodes. */
function finish(h: HistoryBuilder): HistoryBuilder {
  for (const conn of ["a.1", "s.1", "b.1"]) h.close(conn);
  for (const node of [0, 1, 2]) h.nodeExit(node, "driver_stop");
  return h;
}

/**
 * `p` changes hands from `a.1` to `b.1` while the driver is stalled (the false two owners of a 10-minute run):
 * `a.1` got a send; then `b.1` registers, `a.1` unregisters and `s.1` sends twice, the first to `a.1` (before
 * its unregister took effect), the second to `b.1`. The driver then reads all that, `b.1`'s socket before
 * `a.1`'s: in one burst (`burst`), or else each event in a turn of its own.
 */
function handover(h: HistoryBuilder, burst: boolean): HistoryBuilder {
  h.deliver("a.1", "p", h.send("s.1", "p"));
  const register = h.command("b.1", "register", "p");
  const unregister = h.command("a.1", "unregister", "p");
  const toA = h.payload("s.1");
  const sendA = h.command("s.1", "send", "p", toA);
  const toB = h.payload("s.1");
  const sendB = h.command("s.1", "send", "p", toB);
  const read = () => {
    h.reply("b.1", register, "registration_succeeded", "p");
    h.deliver("b.1", "p", toB);
    h.deliver("a.1", "p", toA);
    h.reply("a.1", unregister, "unregistration_succeeded", "p");
    h.reply("s.1", sendA, "sending_succeeded", "p").reply("s.1", sendB, "sending_succeeded", "p");
  };
  if (burst) h.burst(read);
  else read();
  return finish(h);
}

describe("chaos checker", () => {
  it("passes a clean history: sends to successive owners, a publish, a fault with quick recovery", () => {
    const h = threeNodes();
    h.deliver("a.1", "p", h.send("s.1", "p"));
    h.deliver("a.1", "p", h.send("s.1", "p"));
    h.unregister("a.1", "p");
    h.send("s.1", "p", "registration_not_found");
    h.register("b.1", "p");
    h.deliver("b.1", "p", h.send("s.1", "p"));
    h.reply("b.1", h.command("b.1", "subscribe", "q"), "subscription_succeeded", "q");
    h.deliver("b.1", "q", h.publish("a.1", "q"));
    h.fault(1, "pause_node", 2000).recovery(1, 0, 40).recovery(1, 1, 5).recovery(1, 2, 7);
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(verdict.violations, []);
    assert.deepEqual(verdict.excused, []);
    assert.equal(verdict.passed, true);
  });

  it("a delivery between the register command and its success reply is inside the registration", () => {
    const h = threeNodes();
    const id = h.command("b.1", "register", "r");
    h.deliver("b.1", "r", h.send("s.1", "r"));
    h.reply("b.1", id, "registration_succeeded", "r");
    assert.deepEqual(checkHistory(finish(h).events).violations, []);
  });

  it("catches two owners whose delivery spans interleave", () => {
    const h = threeNodes();
    h.deliver("a.1", "p", h.send("s.1", "p"));
    h.register("b.1", "p");
    h.deliver("b.1", "p", h.send("s.1", "p"));
    h.deliver("a.1", "p", h.send("s.1", "p"));
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["two-owners"]);
    const [violation] = verdict.violations;
    assert.equal(violation?.channel, "p");
    assert.match(violation?.message ?? "", /p had two owners: a\.1 \(node 0\).*b\.1 \(node 2\)/);
  });

  it("does not order deliveries to different connections read in one turn: a burst after a stall is no two owners", () => {
    assert.deepEqual(checkHistory(handover(threeNodes(1), true).events).violations, []);
    // Without turns, the history's order is taken as it is: the false two owners of the 10-minute run.
    const verdict = checkHistory(handover(threeNodes(), true).events);
    assert.deepEqual(broken(verdict), ["two-owners"]);
    assert.match(
      verdict.violations[0]?.message ?? "",
      /a\.1 got send:s\.1:1 at 0\.\d+ s, then b\.1 got send:s\.1:3 at .*, then a\.1 got send:s\.1:2 at \S+ s$/,
    );
  });

  it("orders deliveries to different connections two turns apart or more, not one", () => {
    const verdict = checkHistory(handover(threeNodes(2), false).events);
    assert.deepEqual(broken(verdict), ["two-owners"]);
    assert.match(
      verdict.violations[0]?.message ?? "",
      /a\.1 got send:s\.1:1 at \S+ s \(turn \d+\), then b\.1 got send:s\.1:3 at \S+ s \(turn \d+\), then a\.1 got send:s\.1:2 at \S+ s \(turn \d+\)$/,
    );
    // One turn apart: a.1's socket read before the send to it arrived, b.1's after the later send to b.1 did.
    assert.deepEqual(checkHistory(handover(threeNodes(1), false).events).violations, []);
  });

  it("catches two owners whose first deliveries were read in one burst, then alternate", () => {
    const h = threeNodes(2);
    h.register("b.1", "p");
    const sent = [h.send("s.1", "p"), h.send("s.1", "p"), h.send("s.1", "p"), h.send("s.1", "p")];
    h.burst(() => h.deliver("a.1", "p", sent[0] as string).deliver("b.1", "p", sent[1] as string));
    h.deliver("a.1", "p", sent[2] as string).deliver("b.1", "p", sent[3] as string);
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["two-owners"]);
    assert.match(
      verdict.violations[0]?.message ?? "",
      /; b\.1 got send:s\.1:2 .*, then a\.1 got send:s\.1:3 .*, then b\.1 got send:s\.1:4 /,
    );
  });

  it("orders events: one connection's always, a command after anything, other connections' two turns apart", () => {
    const h = new HistoryBuilder(10, 1);
    h.open("a.1").open("b.1"); // 0, 1
    h.burst(() => h.reply("a.1", 1, "x").reply("b.1", 1, "x").reply("a.1", 2, "x")); // 2, 3, 4
    h.command("b.1", "subscribe", "q"); // 5, one turn later
    h.reply("a.1", 3, "x"); // 6, two turns after the burst
    const index = new HistoryIndex(h.events);
    assert.deepEqual(
      [index.before(2, 4), index.before(2, 3), index.before(3, 4), index.before(4, 2)],
      [true, false, false, false],
    );
    assert.deepEqual([index.before(4, 5), index.before(3, 6), index.before(5, 6)], [true, true, false]);
    // What the driver read may have come as early as right after the events two turns before it.
    assert.deepEqual(
      [index.earliest(6), index.earliest(5), index.earliest(4)],
      [h.events[4]?.at, h.events[5]?.at, h.events[0]?.at],
    );
    const old = new HistoryIndex(h.events.map(({ turn: _, ...event }) => event));
    assert.deepEqual([old.before(2, 3), old.before(5, 6), old.earliest(6)], [true, true, h.events[6]?.at]);
  });

  it("orders one connection's events in a burst: a send after its unregister reply is outside the registration", () => {
    const h = threeNodes(1);
    const data = h.payload("s.1");
    const id = h.command("s.1", "send", "p", data);
    h.burst(() => {
      h.unregister("a.1", "p");
      h.deliver("a.1", "p", data);
      h.reply("s.1", id, "sending_succeeded", "p");
    });
    assert.deepEqual(broken(checkHistory(finish(h).events)), ["delivery-outside-registration"]);
  });

  it("does not call owners that follow each other two owners", () => {
    const h = threeNodes();
    h.deliver("a.1", "p", h.send("s.1", "p"));
    h.register("b.1", "p");
    h.deliver("a.1", "p", h.send("s.1", "p"));
    h.deliver("b.1", "p", h.send("s.1", "p"));
    h.deliver("b.1", "p", h.send("s.1", "p"));
    assert.deepEqual(checkHistory(finish(h).events).violations, []);
  });

  it("an unregister answered internal_error ends the registration; registering again starts another", () => {
    const h = threeNodes();
    h.deliver("a.1", "p", h.send("s.1", "p"));
    h.reply("a.1", h.command("a.1", "unregister", "p"), "internal_error", "p");
    h.register("b.1", "p");
    h.deliver("b.1", "p", h.send("s.1", "p"));
    h.unregister("b.1", "p");
    h.register("a.1", "p");
    h.deliver("a.1", "p", h.send("s.1", "p"));
    assert.deepEqual(checkHistory(finish(h).events).violations, []);
  });

  it("catches a send delivered outside every registration of the receiver: never registered, or after its unregister", () => {
    const h = threeNodes();
    h.deliver("b.1", "p", h.send("s.1", "p"));
    h.unregister("a.1", "p");
    h.deliver("a.1", "p", h.send("s.1", "p"));
    h.register("a.1", "p");
    h.reply("a.1", h.command("a.1", "unregister", "p"), "internal_error", "p");
    h.deliver("a.1", "p", h.send("s.1", "p"));
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["delivery-outside-registration"]);
    assert.equal(verdict.violations.length, 3);
    assert.match(verdict.violations[2]?.message ?? "", /\(unregister answered internal_error\)/);
    assert.match(
      verdict.violations[0]?.message ?? "",
      /b\.1 \(node 2\) got send:s\.1:1 on p .*it never registered it/,
    );
    assert.match(verdict.violations[1]?.message ?? "", /a\.1 \(node 0\) got send:s\.1:2 .*\(unregistered\)/);
  });

  it("a delivery after the registration_lost notice is outside the registration", () => {
    const h = threeNodes();
    h.lost("a.1", "p");
    h.deliver("a.1", "p", h.send("s.1", "p"));
    assert.deepEqual(broken(checkHistory(finish(h).events)), ["delivery-outside-registration"]);
  });

  it("catches a sending_succeeded that was never delivered while its owner stayed", () => {
    const h = threeNodes();
    const data = h.send("s.1", "p");
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["lost-send"]);
    assert.match(
      verdict.violations[0]?.message ?? "",
      new RegExp(`${data}.*never delivered; registrations around then: a\\.1 \\(node 0\\)`),
    );
  });

  it("excuses a lost send only when the owner's node was killed or its connection dropped within the window after the reply", () => {
    const killed = threeNodes();
    killed.send("s.1", "p");
    killed.close("a.1", { code: 1006, initiator: "server", nodeKilled: true });
    let verdict = checkHistory(finish(killed).events);
    assert.deepEqual(verdict.violations, []);
    assert.deepEqual(
      verdict.excused.map((loss) => [loss.channel, loss.reason]),
      [["p", "owner's node killed"]],
    );

    const dropped = threeNodes();
    dropped.send("s.1", "p");
    dropped.close("a.1", { code: 1006, initiator: "server" });
    verdict = checkHistory(finish(dropped).events);
    assert.deepEqual(verdict.violations, []);
    assert.deepEqual(
      verdict.excused.map((loss) => loss.reason),
      ["owner's connection dropped"],
    );

    const leaving = threeNodes();
    leaving.add({ type: "closing", conn: "a.1", initiator: "client" });
    leaving.send("s.1", "p");
    leaving.close("a.1", { initiator: "client" });
    verdict = checkHistory(finish(leaving).events);
    assert.deepEqual(broken(verdict), ["lost-send"]);
    assert.match(
      verdict.violations[0]?.message ?? "",
      /a\.1 \(node 0\) registered .*\(closed\); its client began closing it at/,
    );

    const late = threeNodes();
    late.send("s.1", "p");
    late.at(late.now + 5000).close("a.1", { code: 1006, initiator: "server", nodeKilled: true });
    verdict = checkHistory(finish(late).events);
    assert.deepEqual(broken(verdict), ["lost-send"]);
    assert.deepEqual(verdict.excused, []);
  });

  it("excuses a loss whose owner's drop the driver read late, after a stall, unless it read anything later first", () => {
    // The reply, a stall of 3 s, then the drop: it may have come within the window after the reply.
    const stalled = threeNodes(1);
    stalled.send("s.1", "p");
    stalled.at(stalled.now + 3000).close("a.1", { code: 1006, initiator: "server" });
    let verdict = checkHistory(finish(stalled).events);
    assert.deepEqual(verdict.violations, []);
    assert.deepEqual(
      verdict.excused.map((loss) => loss.reason),
      ["owner's connection dropped"],
    );

    // The driver read other sockets 2.5 s after the reply, two turns before the drop: the drop came later.
    const awake = threeNodes(1);
    awake.send("s.1", "p");
    awake
      .at(awake.now + 2500)
      .reply("b.1", awake.command("b.1", "subscribe", "q"), "subscription_succeeded", "q");
    awake.close("a.1", { code: 1006, initiator: "server" });
    verdict = checkHistory(finish(awake).events);
    assert.deepEqual(broken(verdict), ["lost-send"]);
    assert.deepEqual(verdict.excused, []);

    // Without turns, the drop's time is taken as it is: too late.
    const old = threeNodes();
    old.send("s.1", "p");
    old.at(old.now + 3000).close("a.1", { code: 1006, initiator: "server" });
    assert.deepEqual(broken(checkHistory(finish(old).events)), ["lost-send"]);
  });

  it("does not excuse a loss when the owner's registration ended otherwise (registration_lost)", () => {
    const h = threeNodes();
    h.send("s.1", "p");
    h.lost("a.1", "p");
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["lost-send"]);
    assert.deepEqual(verdict.excused, []);
  });

  it("catches a payload delivered twice to one connection, and a send delivered to two clients", () => {
    const h = threeNodes();
    h.reply("b.1", h.command("b.1", "subscribe", "q"), "subscription_succeeded", "q");
    const published = h.publish("s.1", "q");
    h.deliver("b.1", "q", published).deliver("b.1", "q", published);
    const sent = h.send("s.1", "p");
    h.deliver("a.1", "p", sent).deliver("a.1", "p", sent);
    assert.deepEqual(broken(checkHistory(finish(h).events)), ["duplicate-delivery"]);

    const twice = threeNodes();
    twice.register("b.1", "p");
    const data = twice.send("s.1", "p");
    twice.deliver("a.1", "p", data).deliver("b.1", "p", data);
    assert.deepEqual(broken(checkHistory(finish(twice).events)), ["send-to-several-clients"]);
  });

  it("catches reordering per sender, receiver and channel", () => {
    const h = threeNodes();
    const first = h.send("s.1", "p");
    const second = h.send("s.1", "p");
    h.deliver("a.1", "p", second).deliver("a.1", "p", first);
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["reordered-delivery"]);
    assert.match(verdict.violations[0]?.message ?? "", /got send:s\.1:1 after send:s\.1:2/);
  });

  it("channels with history: consecutive offsets from where a subscription starts or recovers; a gap, a duplicate or a missed end of an epoch is a history-gap", () => {
    /** `b.1` subscribes `h` (recovering from `from`, if given) while `s.1` publishes `count`, acknowledged with E's offsets. */
    const scenario = (
      receive: (deliver: (i: number, offset?: number, epoch?: string) => void) => void,
      from?: number,
      acks: [number, string][] = [
        [1, "E"],
        [2, "E"],
        [3, "E"],
        [4, "E"],
      ],
    ) => {
      const h = threeNodes();
      const sub = h.command("b.1", "subscribe", "h");
      if (from !== undefined) {
        const last = h.events.at(-1) as { offset?: number; epoch?: string };
        last.offset = from;
        last.epoch = "E";
      }
      h.add({
        type: "reply",
        conn: "b.1",
        id: sub,
        event: "subscription_succeeded",
        channel: "h",
        offset: from ?? 0,
        epoch: "E",
        ...(from === undefined ? {} : { recovered: true }),
      });
      const published = acks.map(([offset, epoch]) => {
        const data = h.payload("s.1", "pub");
        const id = h.command("s.1", "publish", "h", data);
        h.add({
          type: "reply",
          conn: "s.1",
          id,
          event: "publication_succeeded",
          channel: "h",
          offset,
          epoch,
        });
        return data;
      });
      receive((i, offset = i + 1, epoch = "E") =>
        h.add({
          type: "delivery",
          conn: "b.1",
          channel: "h",
          from: "s",
          data: published[i] as string,
          offset,
          epoch,
        }),
      );
      return checkHistory(finish(h).events);
    };
    assert.deepEqual(
      broken(
        scenario((d) => {
          for (const i of [0, 1, 2, 3]) d(i);
        }),
      ),
      [],
    );
    assert.deepEqual(
      broken(
        scenario((d) => {
          for (const i of [2, 3]) d(i);
        }, 2),
      ),
      [],
      "recovered from 2: 3 and 4",
    );
    const gap = scenario((d) => {
      for (const i of [0, 2, 3]) d(i);
    });
    assert.deepEqual(broken(gap), ["history-gap"]);
    assert.match(gap.violations[0]?.message ?? "", /got offset 3, expected offset 2 of epoch E/);
    assert.deepEqual(
      broken(
        scenario((d) => {
          for (const i of [1, 2, 3]) d(i);
        }, 0),
      ),
      ["history-gap"],
      "recovered from 0 but 1 is missing",
    );
    const newEpoch = scenario((d) => {
      d(0);
      d(1);
      d(2, 1, "E2");
    });
    assert.deepEqual(
      broken(newEpoch),
      ["history-gap"],
      "offsets 3 and 4 of E were acknowledged, then missed",
    );
    assert.match(newEpoch.violations[0]?.message ?? "", /offsets up to 4 of it were acknowledged/);
    const acks: [number, string][] = [
      [1, "E"],
      [2, "E"],
      [3, "E"],
      [1, "E2"],
    ];
    assert.deepEqual(
      broken(
        scenario(
          (d) => {
            for (const i of [0, 1, 2, 3]) d(i, acks[i]?.[0], acks[i]?.[1]);
          },
          undefined,
          acks,
        ),
      ),
      [],
      "a new epoch from its offset 1, after everything of the old one",
    );
  });

  it("catches a send delivered though it was answered registration_not_found", () => {
    const h = threeNodes();
    h.deliver("a.1", "p", h.send("s.1", "p", "registration_not_found"));
    assert.deepEqual(broken(checkHistory(finish(h).events)), ["delivered-though-refused"]);
  });

  it("catches deliveries nobody sent, or that do not match their command", () => {
    const h = threeNodes();
    h.deliver("a.1", "p", "send:zz.1:1");
    h.deliver("a.1", "p", h.send("s.1", "p"), "impostor");
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["unknown-delivery"]);
    assert.equal(verdict.violations.filter((v) => v.rule === "unknown-delivery").length, 2);
  });

  it("catches a stray or second reply, and a command left unanswered on a connection that stayed open", () => {
    const h = threeNodes();
    h.reply("s.1", 99, "pong");
    const id = h.command("s.1", "subscribe", "q");
    h.reply("s.1", id, "subscription_succeeded", "q").reply("s.1", id, "subscription_succeeded", "q");
    h.command("b.1", "subscribe", "q");
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["reply-mismatch", "unanswered-command"]);
    assert.equal(verdict.violations.filter((v) => v.rule === "reply-mismatch").length, 2);
  });

  it("does not expect replies on a connection its node's death closed", () => {
    const h = threeNodes();
    h.command("b.1", "subscribe", "q");
    h.close("b.1", { code: 1006, initiator: "server", nodeKilled: true });
    for (const conn of ["a.1", "s.1"]) h.close(conn);
    for (const node of [0, 1, 2]) h.nodeExit(node, "driver_stop");
    assert.deepEqual(checkHistory(h.events).violations, []);
  });

  it("catches a node process that exits by itself, or fails to stop cleanly, but not one the nemesis killed", () => {
    const h = threeNodes();
    h.nodeExit(1, "none", 1);
    h.nodeExit(0, "nemesis_kill", null, "SIGKILL");
    h.nodeExit(2, "driver_stop", null, "SIGKILL");
    const verdict = checkHistory(h.events);
    assert.deepEqual(broken(verdict), ["node-crash"]);
    assert.equal(verdict.violations.length, 2);
    assert.match(
      verdict.violations[0]?.message ?? "",
      /node 1 .*exited with code 1 .*though nobody stopped it/,
    );
  });

  it("catches a node that answers /healthz 200 late, never, or was not probed after a fault", () => {
    const h = threeNodes();
    h.fault(1, "kill_node", 500).recovery(1, 0, 15_001).recovery(1, 1, null);
    const verdict = checkHistory(finish(h).events);
    assert.deepEqual(broken(verdict), ["slow-recovery"]);
    assert.deepEqual(
      verdict.violations.map((v) => v.message.replace(/ after fault.*/, "")),
      [
        "node 2: no /healthz answer recorded",
        "node 0 answered 200 only after 15001 ms",
        "node 1 did not answer 200 at all",
      ],
    );
  });

  it("fails a run the harness could not carry out", () => {
    const h = threeNodes();
    h.add({ type: "harness_error", message: "fault 3 could not be carried out: boom" });
    assert.deepEqual(broken(checkHistory(finish(h).events)), ["run-incomplete"]);
  });
});
