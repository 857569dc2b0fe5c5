import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { startWest, type WestNode } from "../../src/index.js";
import { launchBrowser, openWebClient, skipWithoutBrowser, type WebClientPage } from "../helpers/browser.js";
import { TcpProxy } from "../helpers/tcp-proxy.js";
import { TEST_SECRET, token } from "../helpers/tokens.js";
import { listeningNode } from "../helpers/ws-client.js";

/** What Chromium logs by itself for a refused handshake and for the admission check's non-2xx answer. */
const REFUSAL_CONSOLE_ERRORS = [/WebSocket connection to .* failed/, /Failed to load resource/];

/** Records every frame the page hands to a WebSocket in `sentFrames`; runs before the page's scripts. */
const RECORD_SENT_FRAMES = `
  window.sentFrames = [];
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    window.sentFrames.push(data);
    send.call(this, data);
  };
`;

const sentFrameCount = (client: WebClientPage): Promise<number> => client.page.evaluate("sentFrames.length");

/** The channels listed in the panel (data-testid registrations or subscriptions). */
const listed = (client: WebClientPage, list: "registrations" | "subscriptions") =>
  client.page
    .getByTestId(list)
    .locator("[data-channel]")
    .evaluateAll((chips) => chips.map((chip) => chip.getAttribute("data-channel")));

interface Layout {
  scrollWidth: number;
  innerWidth: number;
  logoLines: number;
  clipped: number;
  outside: number;
}

/**
 * The page's width and what sticks out: the logo's lines, chips and tags whose content is cut, and controls
 * past the right edge.
 */
const LAYOUT_PROBLEMS = `(() => {
  const range = document.createRange();
  range.selectNodeContents(document.querySelector('[data-testid="logo"]'));
  const tops = new Set([...range.getClientRects()].map((rect) => Math.round(rect.top)));
  const boxes = (selector) => [...document.querySelectorAll(selector)];
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    logoLines: tops.size,
    clipped: boxes(".chip, .tag").filter((box) => box.scrollWidth > box.clientWidth + 1).length,
    outside: boxes(".chip, .tag, button, input").filter((box) => box.getBoundingClientRect().right > window.innerWidth).length,
  };
})()`;

async function expectRefusal(client: WebClientPage, status: number, reason: RegExp): Promise<void> {
  const refusal = client.page.locator(`[data-testid="refusal"][data-status="${status}"]`);
  await refusal.waitFor();
  assert.match(
    (await client.page.getByTestId("refusal-status").textContent()) ?? "",
    new RegExp(`^${status} `),
  );
  assert.match((await client.page.getByTestId("refusal-reason").textContent()) ?? "", reason);
  await client.expectStatus("disconnected");
  assert.equal(await client.page.getByTestId("reconnect").isVisible(), true);
}

describe("the web client's connection, channels and layout in a real browser", {
  skip: skipWithoutBrowser(),
}, async () => {
  const browser: Browser = await launchBrowser();

  describe("against a node with auth off", async () => {
    const node = await listeningNode();
    const open = (options = {}) => openWebClient(browser, node.url as string, options);

    it("a channel the server would refuse is explained under the field, and nothing is sent", async () => {
      const client = await open({ initScript: RECORD_SENT_FRAMES });
      await client.connect("validator", "json");
      const cases: [string, RegExp][] = [
        ["", /Enter a channel name/],
        ["   ", /Enter a channel name/],
        ["two words", /cannot contain a space/],
        ['say"hi', /cannot contain a double quote/],
        ["tab\there", /cannot contain whitespace \(U\+0009\)/],
        ["zero\u200Bwidth", /invisible format character \(U\+200B\)/],
        ["bell\u0007", /control character \(U\+0007\)/],
        ["x".repeat(257), /at most 256 bytes of UTF-8; this one has 257/],
        ["é".repeat(129), /this one has 258/],
      ];
      for (const [channel, problem] of cases) {
        for (const command of ["register", "subscribe", "publish"] as const) {
          await client.run(command, channel, "data");
          const error = client.page.getByTestId("channel-error");
          assert.equal(await error.isVisible(), true, `${command} ${JSON.stringify(channel)}`);
          assert.match((await error.textContent()) ?? "", problem);
          assert.equal(await client.page.getByTestId("channel").getAttribute("aria-invalid"), "");
        }
      }
      assert.equal(await sentFrameCount(client), 0, "no frame was sent");
      assert.equal(await client.entries({ direction: "out" }).count(), 0);

      await client.run("register", "é".repeat(128));
      await client.expectReceived("registration_succeeded", "é".repeat(128));
      assert.equal(await client.page.getByTestId("channel-error").isVisible(), false);
      assert.equal(await sentFrameCount(client), 1);
    });

    it("typing shows the problem at once, and clears it when the name becomes valid", async () => {
      const client = await open();
      const field = client.page.getByTestId("channel");
      await field.fill("news today");
      assert.equal(await client.page.getByTestId("channel-error").isVisible(), true);
      await field.fill("news-today");
      assert.equal(await client.page.getByTestId("channel-error").isVisible(), false);
    });

    it("the panel lists this connection's registrations and subscriptions as the replies say, and is cleared on disconnect", async () => {
      const client = await open();
      const other = await open();
      await client.connect("panel-owner", "text");
      await other.connect("panel-other", "json");
      await other.run("register", "theirs");
      await other.expectReceived("registration_succeeded", "theirs");

      for (const channel of ["inbox", "orders", "inbox"]) await client.run("register", channel);
      await client.expectReceived("registration_already_exist", "inbox");
      await client.run("register", "theirs");
      await client.expectReceived("registration_denied", "theirs");
      for (const channel of ["news", "weather"]) await client.run("subscribe", channel);
      await client.expectReceived("subscription_succeeded", "weather");
      assert.deepEqual(await listed(client, "registrations"), ["inbox", "orders"]);
      assert.deepEqual(await listed(client, "subscriptions"), ["news", "weather"]);

      await client.run("unregister", "orders");
      await client.expectReceived("unregistration_succeeded", "orders");
      // The × of a chip unsubscribes its channel.
      await client.page.getByRole("button", { name: "Unsubscribe news" }).click();
      await client.expectReceived("unsubscription_succeeded", "news");
      assert.deepEqual(await listed(client, "registrations"), ["inbox"]);
      assert.deepEqual(await listed(client, "subscriptions"), ["weather"]);
      // Unregistering what it does not hold (answered registration_not_found) lists nothing either.
      await client.run("unregister", "orders");
      await client.expectReceived("registration_not_found", "orders");
      assert.deepEqual(await listed(client, "registrations"), ["inbox"]);

      await client.click("disconnect");
      await client.expectStatus("disconnected");
      assert.deepEqual(await listed(client, "registrations"), []);
      assert.deepEqual(await listed(client, "subscriptions"), []);
    });

    it("a registration_lost notice takes the channel off the panel", async () => {
      const client = await open();
      let toPage: ((frame: string) => void) | undefined;
      await client.page.routeWebSocket(/\/websocket\//, (route) => {
        route.connectToServer();
        toPage = (frame) => route.send(frame);
      });
      await client.connect("losing-owner", "json");
      await client.run("register", "fragile");
      await client.expectReceived("registration_succeeded", "fragile");
      assert.deepEqual(await listed(client, "registrations"), ["fragile"]);

      toPage?.('{"event":"registration_lost","channel":"fragile","from":"west"}');
      await client.expectReceived("registration_lost", "fragile");
      assert.deepEqual(await listed(client, "registrations"), []);
    });

    it("a failure reply shows its reason beside it; a success has none", async () => {
      // A node whose channel names are shorter than the page's limit: it answers registration_failed.
      const short = await listeningNode({ maxChannelBytes: 8 });
      const client = await openWebClient(browser, short.url as string);
      // TODO(reason field, #11): the server adds `reason` to failure replies in a branch not merged here yet;
      // until then the route adds one to the real reply, and once the server sends it the route passes the
      // reply on unchanged (then this route can go).
      await client.page.routeWebSocket(/\/websocket\//, (route) => {
        const server = route.connectToServer();
        server.onMessage((frame) => {
          const message = JSON.parse(String(frame)) as Record<string, unknown>;
          if (message.event === "registration_failed" && message.reason === undefined)
            message.reason = "channel name too long";
          route.send(JSON.stringify(message));
        });
      });
      await client.connect("reason-reader", "json");

      await client.run("register", "longer-than-8");
      const failed = await client.expectReceived("registration_failed", "longer-than-8");
      assert.match((await failed.getByTestId("entry-reason").textContent()) ?? "", /too long/);
      await client.run("register", "short");
      const succeeded = await client.expectReceived("registration_succeeded", "short");
      assert.equal(await succeeded.getByTestId("entry-reason").count(), 0);
      assert.deepEqual(await listed(client, "registrations"), ["short"]);
    });

    it("a refused connection shows the HTTP status and the server's reason: 400 for a bad key", async () => {
      const client = await open();
      client.expectConsoleErrors(...REFUSAL_CONSOLE_ERRORS);
      await client.startConnecting("west", "json");
      await expectRefusal(client, 400, /invalid client key/);
      assert.match((await client.page.getByTestId("state-hint").textContent()) ?? "", /Change the key/);
      await client.entries({ direction: "note", kind: "error" }).filter({ hasText: "400" }).waitFor();
    });

    it("a page of a foreign origin is told 403 origin not allowed; a node that allows its origin connects it", async () => {
      const strict = await listeningNode();
      const pageOrigin = new URL(node.url as string).origin;
      const welcoming = await listeningNode({ allowedOrigins: [pageOrigin] });
      const client = await open({ path: `/?server=${encodeURIComponent(strict.url as string)}` });
      client.expectConsoleErrors(...REFUSAL_CONSOLE_ERRORS);
      assert.match(
        (await client.page.getByTestId("endpoint").textContent()) ?? "",
        new RegExp(`^ws://127.0.0.1:${strict.port}/`),
      );

      await client.startConnecting("visitor", "json");
      await expectRefusal(client, 403, /origin not allowed/);
      assert.match((await client.page.getByTestId("state-hint").textContent()) ?? "", /allowedOrigins/);

      const allowed = await open({ path: `/?server=${encodeURIComponent(welcoming.url as string)}` });
      await allowed.connect("visitor", "json");
    });

    it("JSON and protobuf (the SDK): a node restart shows 1001, and the page reconnects and subscribes again by itself", async () => {
      let restarting: WestNode = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent" });
      after(() => restarting.stop());
      const { port } = restarting;
      const client = await openWebClient(browser, restarting.url as string);
      client.expectConsoleErrors(/WebSocket connection to .* failed/, /Failed to load resource/);
      await client.connect("survivor", "pb");
      await client.run("subscribe", "updates");
      await client.expectReceived("subscription_succeeded", "updates");

      await restarting.stop();
      await client.page.locator('[data-testid="connection-state"][data-code="1001"]').waitFor();
      assert.match((await client.page.getByTestId("state-text").textContent()) ?? "", /1001.*shutting down/);
      await client.entries({ direction: "note" }).filter({ hasText: "code 1001" }).waitFor();
      // While the node is down, the page says that nothing answers, and keeps trying.
      await client.page.getByTestId("state-text").filter({ hasText: "No answer from" }).waitFor();
      await client.expectStatus("connecting");
      assert.deepEqual(await listed(client, "subscriptions"), ["updates"], "kept, to be made again");

      restarting = await startWest({ port, host: "127.0.0.1", logLevel: "silent" });
      await client.expectStatus("connected");
      await client
        .entries({ direction: "note" })
        .filter({ hasText: "reconnected as survivor (pb)" })
        .waitFor();
      await client
        .entries({ direction: "in", event: "subscription_succeeded", channel: "updates" })
        .nth(1)
        .waitFor();
      await restarting.client("publisher").pub("updates", "after the restart");
      assert.equal(await client.deliveredData("publisher", "updates"), "after the restart");
    });

    it("JSON (the SDK): a dropped connection comes back by itself and recovers what was published meanwhile", async () => {
      const historic = await listeningNode({
        allowedOrigins: ["*"],
        channels: [{ match: "ticker", history: { size: 100, ttlSeconds: 60 } }],
      });
      const proxy = await TcpProxy.start(historic.port as number);
      const client = await openWebClient(browser, historic.url as string, {
        path: `/?server=${encodeURIComponent(`http://127.0.0.1:${proxy.port}`)}`,
      });
      // A reconnect attempt that lands while the proxy refuses is logged by the browser (its backoff is random).
      client.expectConsoleErrors(/WebSocket connection to .* failed/);
      await client.connect("watcher", "json");
      await client.run("subscribe", "ticker");
      await client.expectReceived("subscription_succeeded", "ticker");
      const publisher = historic.client("ticker-source");
      await publisher.pub("ticker", "one");
      assert.equal(await client.deliveredData("ticker-source", "ticker"), "one");

      proxy.refuse = true;
      proxy.cut();
      await client.expectStatus("connecting");
      await publisher.pub("ticker", "two");
      await publisher.pub("ticker", "three");
      proxy.refuse = false;
      await client.expectStatus("connected");
      await client
        .entries({ direction: "note" })
        .filter({ hasText: "with what was published meanwhile" })
        .waitFor();
      const deliveries = client.entries({ direction: "in", event: "new_message", channel: "ticker" });
      await deliveries.nth(2).waitFor();
      assert.deepEqual(await deliveries.getByTestId("entry-data").allTextContents(), ["one", "two", "three"]);
    });

    it("text (the page's own WebSocket): a node restart on the same port shows 1001, then Reconnect connects again", async () => {
      let restarting: WestNode = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent" });
      after(() => restarting.stop());
      const { port } = restarting;
      const client = await openWebClient(browser, restarting.url as string);
      client.expectConsoleErrors(/WebSocket connection to .* failed/, /Failed to load resource/);
      await client.connect("survivor", "text");
      await client.run("subscribe", "updates");
      await client.expectReceived("subscription_succeeded", "updates");

      await restarting.stop();
      await client.page.locator('[data-testid="connection-state"][data-code="1001"]').waitFor();
      await client.expectStatus("disconnected");
      assert.match((await client.page.getByTestId("state-text").textContent()) ?? "", /1001.*shutting down/);
      assert.deepEqual(await listed(client, "subscriptions"), []);

      // While the node is down, Reconnect says that nothing answers.
      await client.click("reconnect");
      await client.page.getByTestId("state-text").filter({ hasText: "No answer from" }).waitFor();

      restarting = await startWest({ port, host: "127.0.0.1", logLevel: "silent" });
      await client.click("reconnect");
      await client.expectStatus("connected");
      assert.match((await client.page.getByTestId("state-text").textContent()) ?? "", /as survivor \(text\)/);
      await client.run("subscribe", "updates");
      await client.expectReceived("subscription_succeeded", "updates");
    });

    it("at 390x844 nothing scrolls sideways, the logo stays on one line and no chip or tag is clipped", async () => {
      const client = await open({ viewport: { width: 390, height: 844 } });
      await client.connect("a-rather-long-client-key-for-a-phone-screen", "json");
      const long = "c".repeat(120);
      for (const channel of [long, "news", "chat.room-1"]) {
        await client.run("subscribe", channel);
        await client.expectReceived("subscription_succeeded", channel);
      }
      await client.run("register", long);
      await client.expectReceived("registration_succeeded", long);
      await client.run("publish", long, "d".repeat(300));
      await client.expectReceived("new_message", long);

      const layout: Layout = await client.page.evaluate(LAYOUT_PROBLEMS);
      assert.ok(layout.scrollWidth <= layout.innerWidth, JSON.stringify(layout));
      assert.equal(layout.logoLines, 1, "the logo on one line");
      assert.equal(layout.clipped, 0, "no chip or tag clipped");
      assert.equal(layout.outside, 0, "nothing past the right edge");
    });
  });

  describe("against a node with auth on", async () => {
    const node = await listeningNode({ auth: { jwtSecret: TEST_SECRET } });
    const alice = await token(TEST_SECRET, { sub: "alice" });
    const open = (options = {}) => openWebClient(browser, node.url as string, options);

    it("?token= in the page's URL fills Token and Key (its subject), and the page connects with it as ?token=", async () => {
      const client = await open({ path: `/?token=${alice}` });
      assert.equal(await client.page.getByTestId("token").inputValue(), alice);
      assert.equal(await client.page.getByTestId("key").inputValue(), "alice");
      const endpoint = (await client.page.getByTestId("endpoint").textContent()) ?? "";
      assert.match(endpoint, /\/websocket\/json\/alice\?token=…$/, "the token is not shown");

      const opened = client.page.waitForEvent("websocket");
      await client.page.getByTestId("connect").click();
      assert.equal(new URL((await opened).url()).searchParams.get("token"), alice);
      await client.expectStatus("connected");
    });

    it("a token typed in Token works too, also with Key left empty", async () => {
      const client = await open();
      await client.connect("", "text", await token(TEST_SECRET, { sub: "bob" }));
      assert.match((await client.page.getByTestId("state-text").textContent()) ?? "", /as bob \(text\)/);
    });

    it("401 without a token, with a bad one and with an expired one, with the server's reason", async () => {
      const client = await open();
      client.expectConsoleErrors(...REFUSAL_CONSOLE_ERRORS);
      await client.startConnecting("alice", "json");
      await expectRefusal(client, 401, /missing token/);
      assert.match((await client.page.getByTestId("state-hint").textContent()) ?? "", /valid token/);

      await client.startConnecting("alice", "json", "not.a.token");
      await expectRefusal(client, 401, /^invalid token$/);

      await client.startConnecting(
        "alice",
        "json",
        await token(TEST_SECRET, { sub: "alice", expiresIn: -10 }),
      );
      await expectRefusal(client, 401, /token expired/);
    });

    it("403 when the key is not the token's subject", async () => {
      const client = await open();
      client.expectConsoleErrors(...REFUSAL_CONSOLE_ERRORS);
      await client.startConnecting("mallory", "pb", alice);
      await expectRefusal(client, 403, /not the token's subject/);
      assert.match((await client.page.getByTestId("state-hint").textContent()) ?? "", /token's subject/);
    });
  });
});
