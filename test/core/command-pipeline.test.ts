import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CommandPipeline } from "../../src/core/command-pipeline.js";
import { type Command, type Reason, type Reply, reply } from "../../src/core/message.js";

/** A command the test answers when it likes: `answer()` settles it with `<event> <id>` as its reply's reason. */
interface Started {
  command: Command;
  answer(): void;
}

/**
 * A pipeline whose commands are answered by the test, in any order: what started, what was answered to the
 * client, in which order.
 */
function harness(maxInFlight = 1000, answersAtOnce: (command: Command) => boolean = () => false) {
  const started: Started[] = [];
  const delivered: string[] = [];
  const pipeline = new CommandPipeline(
    {
      runCommand(command) {
        const made = reply("pong", command.channel, command.id, `${command.event} ${command.id}` as Reason);
        if (answersAtOnce(command)) {
          started.push({ command, answer: () => undefined });
          return made;
        }
        return new Promise<Reply>((resolve) => started.push({ command, answer: () => resolve(made) }));
      },
      answer: (answer) => delivered.push(String(answer.reason ?? answer.event)),
    },
    maxInFlight,
  );
  const ids = () => started.map(({ command }) => command.id);
  const answer = async (id: number) => {
    const found = started.find(({ command }) => command.id === id);
    assert.ok(found, `command ${id} has started`);
    found.answer();
    // The reply's continuation runs in a microtask, and what it starts in further ones.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { pipeline, started, delivered, ids, answer };
}

const command = (event: string, id: number, channel = "c"): Command =>
  ({ event, id, channel, data: "x" }) as Command;

describe("a client's commands, pipelined", () => {
  it("publishes, sends to different channels and pings all start at once; replies go out in command order", async () => {
    const { pipeline, delivered, ids, answer } = harness();
    pipeline.execute(command("publish", 1));
    pipeline.execute(command("send", 2, "a"));
    pipeline.execute(command("send", 3, "b"));
    pipeline.execute(command("ping", 4));
    assert.deepEqual(ids(), [1, 2, 3, 4], "none waits for an earlier answer");
    await answer(4);
    await answer(2);
    assert.deepEqual(delivered, [], "replies wait for the first one");
    await answer(1);
    assert.deepEqual(delivered, ["publish 1", "send 2"]);
    await answer(3);
    assert.deepEqual(delivered, ["publish 1", "send 2", "send 3", "ping 4"]);
  });

  for (const event of ["subscribe", "unsubscribe", "register", "unregister"]) {
    it(`${event} runs alone: after every earlier command is answered, before any later one starts`, async () => {
      const { pipeline, delivered, ids, answer } = harness();
      pipeline.execute(command("publish", 1));
      pipeline.execute(command("publish", 2));
      pipeline.execute(command(event, 3));
      pipeline.execute(command("publish", 4));
      pipeline.execute(command("send", 5));
      assert.deepEqual(ids(), [1, 2]);
      await answer(2);
      assert.deepEqual(ids(), [1, 2], `${event} waits for the first publish too`);
      await answer(1);
      assert.deepEqual(ids(), [1, 2, 3]);
      await answer(3);
      assert.deepEqual(ids(), [1, 2, 3, 4, 5], "what came after starts together once it is answered");
      await answer(5);
      await answer(4);
      assert.deepEqual(delivered, ["publish 1", "publish 2", `${event} 3`, "publish 4", "send 5"]);
    });
  }

  it("sends to one channel run one at a time, in order; other commands pass them", async () => {
    const { pipeline, delivered, ids, answer } = harness();
    pipeline.execute(command("send", 1, "a"));
    pipeline.execute(command("send", 2, "a"));
    pipeline.execute(command("publish", 3, "a"));
    pipeline.execute(command("send", 4, "b"));
    pipeline.execute(command("send", 5, "a"));
    assert.deepEqual(ids(), [1, 3, 4]);
    await answer(1);
    assert.deepEqual(ids(), [1, 3, 4, 2], "the next send to a starts once the one before is answered");
    await answer(2);
    assert.deepEqual(ids(), [1, 3, 4, 2, 5]);
    await answer(5);
    await answer(4);
    await answer(3);
    assert.deepEqual(delivered, ["send 1", "send 2", "publish 3", "send 4", "send 5"]);
  });

  it("runs at most maxInFlight commands at once; the others start in order as answers come", async () => {
    const { pipeline, delivered, ids, answer } = harness(2);
    for (let id = 1; id <= 5; id++) pipeline.execute(command("publish", id));
    assert.deepEqual(ids(), [1, 2]);
    await answer(2);
    assert.deepEqual(ids(), [1, 2, 3]);
    await answer(1);
    assert.deepEqual(ids(), [1, 2, 3, 4]);
    await answer(4);
    await answer(3);
    assert.deepEqual(ids(), [1, 2, 3, 4, 5]);
    await answer(5);
    assert.deepEqual(delivered, ["publish 1", "publish 2", "publish 3", "publish 4", "publish 5"]);
  });

  it("answers a command answered at once right away when nothing waits, else in its place", async () => {
    const { pipeline, delivered, answer } = harness(1000, (c) => c.event === "ping");
    pipeline.execute(command("ping", 1));
    assert.deepEqual(delivered, ["ping 1"], "synchronously");
    pipeline.execute(command("publish", 2));
    pipeline.execute(command("ping", 3));
    pipeline.respond(reply("rate_limited", "c", 4));
    assert.deepEqual(delivered, ["ping 1"]);
    await answer(2);
    assert.deepEqual(delivered, ["ping 1", "publish 2", "ping 3", "rate_limited"]);
  });

  it("a command that runs alone and is answered at once lets the next ones start at once", () => {
    const { pipeline, delivered, ids } = harness(1000, (c) => c.event !== "publish");
    pipeline.execute(command("subscribe", 1));
    pipeline.execute(command("ping", 2));
    pipeline.execute(command("register", 3));
    pipeline.execute(command("publish", 4));
    assert.deepEqual(ids(), [1, 2, 3, 4]);
    assert.deepEqual(delivered, ["subscribe 1", "ping 2", "register 3"]);
  });

  it("a command adopted while it runs (started before the pipeline existed) keeps its rules", async () => {
    const { pipeline, started, delivered, ids, answer } = harness();
    let answerAdopted: () => void = () => undefined;
    const adopted = new Promise<Reply>((resolve) => {
      answerAdopted = () => resolve(reply("pong", "c", 1, "register 1" as Reason));
    });
    pipeline.adopt(command("register", 1), adopted);
    pipeline.execute(command("publish", 2));
    assert.deepEqual(ids(), [], "a publish waits for the register it follows");
    answerAdopted();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(ids(), [2]);
    await answer(2);
    assert.deepEqual(delivered, ["register 1", "publish 2"]);
    assert.equal(started.length, 1);
  });
});
