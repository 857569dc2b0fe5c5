import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  launchBrowser,
  openWebClient,
  type Protocol,
  skipWithoutBrowser,
  type WebClientPage,
} from "../helpers/browser.js";
import { listeningNode } from "../helpers/ws-client.js";

const PROTOCOLS: Protocol[] = ["text", "json", "pb"];
/** Spaces, quotes and a backslash: the text protocol must quote and escape it. */
const TRICKY_DATA = 'say "hi" \\ to everyone';
const UNICODE_DATA = "héllo wörld ✓ 你好";

describe("the web client in a real browser", { skip: skipWithoutBrowser() }, async () => {
  const node = await listeningNode();
  const browser = await launchBrowser();

  async function connected(key: string, protocol: Protocol): Promise<WebClientPage> {
    const client = await openWebClient(browser, node.url as string);
    await client.connect(key, protocol);
    return client;
  }

  for (const protocol of PROTOCOLS) {
    describe(`over the ${protocol} endpoint`, () => {
      it("a page subscribed to a channel gets what another page publishes, with from and channel", async () => {
        const channel = `${protocol}-news`;
        const subscriber = await connected(`${protocol}-reader`, protocol);
        const publisher = await connected(`${protocol}-writer`, protocol);

        await subscriber.run("subscribe", channel);
        await subscriber.expectReceived("subscription_succeeded", channel);
        await publisher.run("publish", channel, TRICKY_DATA);
        await publisher.expectReceived("publication_succeeded", channel);

        assert.equal(await subscriber.deliveredData(`${protocol}-writer`, channel), TRICKY_DATA);
      });

      it("the page that registers a channel gets what another page sends to it", async () => {
        const channel = `${protocol}-inbox`;
        const owner = await connected(`${protocol}-owner`, protocol);
        const sender = await connected(`${protocol}-sender`, protocol);

        await owner.run("register", channel);
        await owner.expectReceived("registration_succeeded", channel);
        await sender.run("send", channel, "hello there");
        await sender.expectReceived("sending_succeeded", channel);

        assert.equal(await owner.deliveredData(`${protocol}-sender`, channel), "hello there");
      });

      it("ping is answered with pong, and disconnect shows close code 1000", async () => {
        const client = await connected(`${protocol}-pinger`, protocol);

        await client.click("ping");
        await client.expectReceived("pong");
        await client.click("disconnect");
        await client.expectStatus("disconnected");

        await client.entries({ direction: "note" }).filter({ hasText: "code 1000" }).waitFor();
      });
    });
  }

  describe("across protocols", () => {
    it("a protobuf page subscribed to a channel gets a JSON page's publish, decoded as UTF-8", async () => {
      const subscriber = await connected("pb-reader", "pb");
      const publisher = await connected("json-writer", "json");

      await subscriber.run("subscribe", "mixed-news");
      await subscriber.expectReceived("subscription_succeeded", "mixed-news");
      await publisher.run("publish", "mixed-news", UNICODE_DATA);
      await publisher.expectReceived("publication_succeeded", "mixed-news");

      assert.equal(await subscriber.deliveredData("json-writer", "mixed-news"), UNICODE_DATA);
    });

    it("a JSON page that registers a channel gets a protobuf page's send", async () => {
      const owner = await connected("json-owner", "json");
      const sender = await connected("pb-sender", "pb");

      await owner.run("register", "mixed-inbox");
      await owner.expectReceived("registration_succeeded", "mixed-inbox");
      await sender.run("send", "mixed-inbox", UNICODE_DATA);
      await sender.expectReceived("sending_succeeded", "mixed-inbox");

      assert.equal(await owner.deliveredData("pb-sender", "mixed-inbox"), UNICODE_DATA);
    });
  });

  it("Enter in the key box connects, and Enter in the message box publishes (to the publisher too)", async () => {
    const client = await openWebClient(browser, node.url as string);

    await client.page.getByTestId("key").fill("keyboard-user");
    await client.page.getByTestId("key").press("Enter");
    await client.expectStatus("connected");
    await client.run("subscribe", "echo");
    await client.expectReceived("subscription_succeeded", "echo");
    await client.page.getByTestId("message").fill("typed, not clicked");
    await client.page.getByTestId("message").press("Enter");

    assert.equal(await client.deliveredData("keyboard-user", "echo"), "typed, not clicked");
  });

  it("a reply carries the request's id back, and a refusal is marked as an error", async () => {
    const owner = await connected("json-holder", "json");
    const client = await connected("json-refused", "json");
    await owner.run("register", "held");
    await owner.expectReceived("registration_succeeded", "held");

    await client.run("register", "held");
    const request = client.entries({ direction: "out", event: "register" }).first();
    const reply = await client.expectReceived("registration_denied", "held");

    assert.equal(await reply.getAttribute("data-id"), await request.getAttribute("data-id"));
    assert.equal(await reply.getAttribute("data-kind"), "error");
  });
});
