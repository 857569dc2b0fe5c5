import { mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { startWest } from "../../src/index.js";
import { CHROMIUM_PATH, LAUNCH_ARGS } from "./browser.js";

/**
 * Screenshots of the web client for the docs: a page connected as alice, with registrations, subscriptions,
 * deliveries and one refusal in its log, at a desktop (1280x800) and a phone (390x844) size.
 * Run from the repository's root: `npm run build && node build/test/helpers/web-screenshots.js [DIR]`
 * (DIR: default docs/images).
 */
const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  mobile: { width: 390, height: 844 },
};

async function connectedPage(browser: Browser, url: string, key: string, viewport = VIEWPORTS.desktop) {
  const page = await (await browser.newContext({ viewport })).newPage();
  await page.goto(url);
  await page.getByTestId("key").fill(key);
  await page.getByTestId("connect").click();
  await page.locator('[data-testid="status"][data-state="connected"]').waitFor();
  return page;
}

async function run(page: Page, command: string, channel: string, message?: string, reply?: string) {
  await page.getByTestId("channel").fill(channel);
  if (message !== undefined) await page.getByTestId("message").fill(message);
  await page.getByTestId(command).click();
  if (reply !== undefined)
    await page
      .locator(`[data-testid="log-entry"][data-event="${reply}"][data-channel="${channel}"]`)
      .last()
      .waitFor();
}

async function shoot(browser: Browser, url: string, name: keyof typeof VIEWPORTS, directory: string) {
  const bob = await connectedPage(browser, url, `bob-${name}`);
  await run(bob, "register", `bob-${name}.inbox`, undefined, "registration_succeeded");
  const alice = await connectedPage(browser, url, "alice", VIEWPORTS[name]);
  await run(alice, "register", "alice.inbox", undefined, "registration_succeeded");
  await run(alice, "subscribe", "news", undefined, "subscription_succeeded");
  await run(alice, "subscribe", "chat.lobby", undefined, "subscription_succeeded");
  await run(bob, "send", "alice.inbox", "lunch at noon?", "sending_succeeded");
  await run(bob, "publish", "news", "release 2.1 is out", "publication_succeeded");
  await run(alice, "publish", "chat.lobby", "hello everyone", "publication_succeeded");
  await run(alice, "register", `bob-${name}.inbox`, undefined, "registration_denied");
  await alice.getByTestId("channel").fill("chat.lobby");
  await alice.getByTestId("message").fill("");
  await alice.evaluate("document.activeElement.blur()");
  await alice.mouse.move(0, 0);
  const path = join(directory, `web-client-${name}.png`);
  await alice.screenshot({ path, fullPage: name === "mobile" });
  console.log(`${path}: ${(await stat(path)).size} bytes`);
  await alice.context().close();
  await bob.context().close();
}

const directory = process.argv[2] ?? join("docs", "images");
await mkdir(directory, { recursive: true });
const node = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent" });
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
try {
  for (const name of ["desktop", "mobile"] as const)
    await shoot(browser, node.url as string, name, directory);
} finally {
  await browser.close();
  await node.stop();
}
