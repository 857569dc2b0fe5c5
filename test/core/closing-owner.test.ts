import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Core } from "../../src/core/core.js";
import type { Message, Reply } from "../../src/core/message.js";
import type { Endpoint, Session } from "../../src/core/session.js";
import { createLogger } from "../../src/log.js";
import { FakeNetwork } from "../helpers/fake-network.js";

/** An endpoint that takes messages until its socket starts closing. */
class ClosingEndpoint implements Endpoint {
  readonly got: Message[] = [];
  open = true;
  deliver(message: Message): boolean {
    if (!this.open) return false;
    this.got.push(message);
    return true;
  }
}

async function core(network: FakeNetwork, nodeId: string): Promise<Core> {
  const made = new Core({
    logger: createLogger("silent"),
    commandTimeoutMs: 500,
    maxChannelsPerConnection: 100,
    maxChannelBytes: 256,
  });
  made.attach(
    await network.adapter(nodeId)({ events: made.events, hooks: {}, logger: made.logger, url: undefined }),
  );
  return made;
}

function run(session: Session, command: { event: string; channel: string; data?: string }): Promise<Reply> {
  return new Promise((resolve) => session.execute(command, (answer) => resolve(answer as Reply)));
}

describe("an owner whose socket is closing is no live owner", () => {
  it("a send on its node is answered registration_not_found, not sending_succeeded", async () => {
    const node = await core(new FakeNetwork(), "n1");
    const endpoint = new ClosingEndpoint();
    const owner = node.open("owner", endpoint);
    assert.equal((await run(owner, { event: "register", channel: "svc" })).event, "registration_succeeded");
    const sender = node.open("sender", new ClosingEndpoint());
    assert.equal(
      (await run(sender, { event: "send", channel: "svc", data: "open" })).event,
      "sending_succeeded",
    );
    endpoint.open = false;
    assert.equal(
      (await run(sender, { event: "send", channel: "svc", data: "closing" })).event,
      "registration_not_found",
    );
    assert.deepEqual(
      endpoint.got.map((m) => ("data" in m ? m.data : m.event)),
      ["open"],
    );
  });

  it("a send from another node: the owner's node frees the record, the sender answers registration_not_found", async () => {
    const network = new FakeNetwork();
    const [n1, n2] = [await core(network, "n1"), await core(network, "n2")];
    const endpoint = new ClosingEndpoint();
    const owner = n2.open("owner", endpoint);
    await run(owner, { event: "register", channel: "svc" });
    endpoint.open = false;
    const sender = n1.open("sender", new ClosingEndpoint());
    assert.equal(
      (await run(sender, { event: "send", channel: "svc", data: "closing" })).event,
      "registration_not_found",
    );
    assert.equal(network.records.has("svc"), false);
  });
});
