import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SignJWT } from "jose";
import { sample, scrape } from "../helpers/scrape.js";
import { connect, listeningNode, ProtocolClient, tryUpgrade } from "../helpers/ws-client.js";

const SECRET = "a shared secret of at least thirty-two bytes";
const limitHits = (limit: string) => `west_limit_hits_total{limit="${limit}"}`;
const authFailures = (reason: string) => `west_auth_failures_total{reason="${reason}"}`;

function token(sub: string, expiresIn = "1h"): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(sub)
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(SECRET));
}

describe("/metrics counts what the protections refuse", () => {
  it("channel, connection and rate limit hits, one per refusal", async () => {
    const node = await listeningNode({
      maxChannelsPerConnection: 1,
      maxConnections: 2,
      maxCommandsPerSecond: 5,
    });
    const alice = new ProtocolClient(await connect(node.wsUrl, "json", "alice"), "json", "alice");
    assert.equal(await alice.event({ event: "subscribe", channel: "a" }), "subscription_succeeded");
    assert.equal(await alice.event({ event: "subscribe", channel: "b" }), "subscription_failed");
    assert.equal(await alice.event({ event: "register", channel: "c" }), "registration_failed");

    await connect(node.wsUrl, "json", "bob");
    const third = await connect(node.wsUrl, "json", "carol");
    assert.equal(await third.closedWith(), 1013);

    // A bucket of five, and five refusals before a close: of seven frames at once, two to five are refused
    // (how many pass depends on the refill since the commands above).
    for (let i = 0; i < 7; i++) alice.command({ event: "ping" });
    const events: string[] = [];
    for (let i = 0; i < 7; i++) events.push((await alice.take()).event);
    const refused = events.filter((event) => event === "rate_limited").length;
    assert.ok(refused >= 2, `refused ${refused}: ${events.join(" ")}`);

    const samples = await scrape(node.url as string);
    assert.equal(sample(samples, limitHits("channels")), 2);
    assert.equal(sample(samples, limitHits("connections")), 1);
    assert.equal(sample(samples, limitHits("rate")), refused);
    // Counted under the command they refused, not as `other`.
    assert.equal(sample(samples, 'west_commands_total{command="ping",result="rate_limited"}'), refused);
  });

  it("auth failures by reason", async () => {
    const node = await listeningNode({
      auth: { jwtSecret: SECRET },
      handshake: (request) => !(request.url ?? "").includes("refuse-me") || { status: 403, body: "no\n" },
    });
    const outcomes = [
      await tryUpgrade(node.wsUrl, "/websocket/json/alice"),
      await tryUpgrade(node.wsUrl, "/websocket/json/alice?token=not.a.token"),
      await tryUpgrade(node.wsUrl, `/websocket/json/alice?token=${await token("alice", "-1m")}`),
      await tryUpgrade(node.wsUrl, `/websocket/json/bob?token=${await token("alice")}`),
      await tryUpgrade(node.wsUrl, `/websocket/json/alice?refuse-me=1&token=${await token("alice")}`),
    ];
    assert.deepEqual(
      outcomes.map((outcome) => ("status" in outcome ? outcome.status : "opened")),
      [401, 401, 401, 403, 403],
    );
    const samples = await scrape(node.url as string);
    for (const reason of ["missing", "invalid", "expired", "key_mismatch", "refused"])
      assert.equal(sample(samples, authFailures(reason)), 1, reason);
  });

  it("slow-consumer cuts", async () => {
    const node = await listeningNode({ slowConsumerBytes: 64 * 1024 });
    const slow = await connect(node.wsUrl, "pb", "slow");
    const subscriber = new ProtocolClient(slow, "pb", "slow");
    assert.equal(await subscriber.event({ event: "subscribe", channel: "news" }), "subscription_succeeded");
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const publisher = new ProtocolClient(await connect(node.wsUrl, "json", "pub"), "json", "pub");
    const data = "x".repeat(32 * 1024);
    // Loopback kernel buffers take a few MiB before the server's own queue grows: publish until the cut.
    for (let i = 0; i < 2000; i++) {
      assert.equal(
        await publisher.event({ event: "publish", channel: "news", data }),
        "publication_succeeded",
      );
      if (i % 10 !== 9) continue;
      const samples = await scrape(node.url as string);
      if (sample(samples, "west_slow_consumer_cuts_total") === 0) continue;
      // The cut one's session is closed at once, even while its socket still waits to be dropped.
      assert.equal(sample(samples, 'west_connections{protocol="pb"}'), 0);
      assert.equal(sample(samples, 'west_connections{protocol="json"}'), 1);
      return;
    }
    assert.fail("the paused subscriber was never cut");
  });
});
