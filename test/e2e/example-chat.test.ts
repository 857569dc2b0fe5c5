import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, skipWithoutBrowser } from "../helpers/browser.js";
import { CliProcess } from "../helpers/cli-process.js";

const EXAMPLE = fileURLToPath(new URL("../../../examples/chat/server.mjs", import.meta.url));

/** examples/chat as `npm run example:chat` runs it (on this checkout's build), on free ports. */
async function startChat(): Promise<string> {
  const chat = new CliProcess([], {
    program: [process.execPath, "--conditions=west-ts-checkout", EXAMPLE],
    env: { CHAT_PORT: "0", WEST_PORT: "0" },
  });
  const line = await chat.nextLine("stdout", '"chat"', 20_000);
  return (JSON.parse(line) as { chat: string }).chat;
}

async function join(browser: Browser, url: string, name: string, room: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(url);
  await page.fill("#name", name);
  await page.fill("#room", room);
  await page.click("#join button");
  await page.waitForSelector("#room-panel:not([hidden])", { timeout: 10_000 });
  return page;
}

const lines = (page: Page) => page.locator("#messages li").allTextContents();
const people = (page: Page) => page.locator("#people li").allTextContents();

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("examples/chat in Chromium", { skip: skipWithoutBrowser() }, async () => {
  const browser = await launchBrowser();

  it("two people chat; joins, leaves and presence show; a newcomer sees the history", async () => {
    const url = await startChat();
    const alice = await join(browser, url, "alice", "tea");
    const bob = await join(browser, url, "bob", "tea");
    await until(
      () => lines(alice),
      (l) => l.includes("bob joined"),
      "alice sees bob join",
    );
    await until(
      () => people(alice),
      (p) => p.join() === "alice,bob",
      "alice's presence list",
    );

    await bob.fill("#text", "hello alice");
    await bob.click("#say button");
    await until(
      () => lines(alice),
      (l) => l.includes("bobhello alice"),
      "alice gets bob's message",
    );
    await alice.fill("#text", "hi bob");
    await alice.press("#text", "Enter");
    await until(
      () => lines(bob),
      (l) => l.includes("alicehi bob"),
      "bob gets alice's message",
    );

    const carol = await join(browser, url, "carol", "tea");
    const history = await until(
      () => lines(carol),
      (l) => l.length >= 2,
      "carol's history",
    );
    assert.deepEqual(history.slice(0, 2), ["bobhello alice", "alicehi bob"]);
    await until(
      () => people(carol),
      (p) => p.join() === "alice,bob,carol",
      "carol's presence list",
    );

    await bob.close();
    await until(
      () => lines(alice),
      (l) => l.includes("bob left"),
      "alice sees bob leave",
    );
    await until(
      () => people(alice),
      (p) => p.join() === "alice,carol",
      "bob is gone from presence",
    );
    assert.equal(await alice.locator("#state").textContent(), "connected");
    await alice.close();
    await carol.close();
  });
});
