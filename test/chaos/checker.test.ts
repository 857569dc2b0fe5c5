import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkHistory } from "../../bench/chaos/checker/checker.js";
import type { RuleName, Verdict } from "../../bench/chaos/checker/verdict.js";
import { HistoryBuilder } from "./history-builder.js";

/** The rules a verdict says were broken, each once, sorted. */
function broken(verdict: Verdict): RuleName[] {
  return [...new Set(verdict.violations.map((v) => v.rule))].sort();
}

/** Three nodes, an owner `a.1` of `p` on node 0, a sender `s.1` on node 1, another client `b.1` on node 2. */
function threeNodes(): HistoryBuilder {
  const h = new HistoryBuilder();
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
