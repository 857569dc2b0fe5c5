import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after } from "node:test";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";

/** Debian's chromium; playwright-core brings no browser of its own. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** The flags every headless chromium of the tests (and of the screenshots) runs with. */
export const LAUNCH_ARGS = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Every wait on a page gives up after this long, so that a broken page fails fast instead of hanging. */
const WAIT_MS = 10_000;

/**
 * The reason to skip the browser tests, or false to run them. Under CI (CI=true) a missing browser is not
 * skipped: the tests run and fail, because a green CI run must have exercised the web client.
 */
export function skipWithoutBrowser(): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.CI === "true") return false;
  const reason = `no browser at ${CHROMIUM_PATH}: the web client was NOT tested (apt-get install chromium)`;
  console.warn(`\n!!! SKIPPING BROWSER TESTS: ${reason} !!!\n`);
  return reason;
}

/** Headless chromium, closed when the test file ends. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`no browser at ${CHROMIUM_PATH} (apt-get install chromium)`);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
  after(() => browser.close());
  return browser;
}

export type Protocol = "text" | "json" | "pb";
export type CommandName = "register" | "unregister" | "send" | "subscribe" | "unsubscribe" | "publish";

/** Attributes that each log entry carries: direction (in, out, note), kind, event, channel, from, id. */
export type EntryFilter = Partial<Record<"direction" | "kind" | "event" | "channel" | "from" | "id", string>>;

/** The web client (web/index.html) in its own browser context, driven through its visible controls. */
export class WebClientPage {
  private readonly problems: string[] = [];
  private readonly expected: RegExp[] = [];

  constructor(readonly page: Page) {
    page.setDefaultTimeout(WAIT_MS);
    page.on("pageerror", (error) => this.problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") this.problems.push(`console error: ${message.text()}`);
    });
  }

  /** Script errors and console errors seen so far, but those expected; a working page has none. */
  get errors(): readonly string[] {
    return this.problems.filter((problem) => !this.expected.some((pattern) => pattern.test(problem)));
  }

  /**
   * Console errors that the browser itself logs for what a test does on purpose: a refused WebSocket
   * handshake, a non-2xx answer or no answer to a fetch.
   */
  expectConsoleErrors(...patterns: RegExp[]): void {
    this.expected.push(...patterns);
  }

  /** Fills the connection form (the token when given) and clicks Connect, without waiting for the outcome. */
  async startConnecting(key: string, protocol: Protocol, token?: string): Promise<void> {
    await this.page.getByTestId("token").fill(token ?? "");
    await this.page.getByTestId("key").fill(key);
    await this.page.getByTestId(`protocol-${protocol}`).check();
    await this.page.getByTestId("connect").click();
  }

  async connect(key: string, protocol: Protocol, token?: string): Promise<void> {
    await this.startConnecting(key, protocol, token);
    await this.expectStatus("connected");
  }

  /** Fills the channel (and the message, for send and publish) and clicks the command's button. */
  async run(command: CommandName, channel: string, message?: string): Promise<void> {
    await this.page.getByTestId("channel").fill(channel);
    if (message !== undefined) await this.page.getByTestId("message").fill(message);
    await this.page.getByTestId(command).click();
  }

  async click(button: "ping" | "disconnect" | "reconnect"): Promise<void> {
    await this.page.getByTestId(button).click();
  }

  /** Log entries matching every given attribute. */
  entries(filter: EntryFilter): Locator {
    const attributes = Object.entries(filter).map(
      ([name, value]) => `[data-${name}=${JSON.stringify(value)}]`,
    );
    return this.page.locator(`[data-testid="log-entry"]${attributes.join("")}`);
  }

  /** Waits until the log shows a received event (a reply or a notice) on `channel`. */
  async expectReceived(event: string, channel?: string): Promise<Locator> {
    const entry = this.entries({ direction: "in", event, ...(channel === undefined ? {} : { channel }) });
    await entry.first().waitFor();
    return entry.first();
  }

  /** Waits for a delivery from `from` on `channel` in the log and returns its data as shown. */
  async deliveredData(from: string, channel: string): Promise<string | null> {
    const delivery = this.entries({ direction: "in", event: "new_message", from, channel }).first();
    return delivery.getByTestId("entry-data").textContent();
  }

  async expectStatus(state: "connected" | "connecting" | "disconnected"): Promise<void> {
    await this.page.locator(`[data-testid="status"][data-state="${state}"]`).waitFor();
  }
}

export interface OpenOptions {
  /** Appended to `baseUrl`, e.g. `/?token=...`. */
  path?: string;
  viewport?: { width: number; height: number };
  /** Script run in the page before its own scripts (see Page.addInitScript). */
  initScript?: string;
}

/** Opens the web client served by the node at `baseUrl` in a fresh context, closed when the test ends. */
export async function openWebClient(
  browser: Browser,
  baseUrl: string,
  { path = "", viewport, initScript }: OpenOptions = {},
): Promise<WebClientPage> {
  const context = await browser.newContext(viewport === undefined ? {} : { viewport });
  const client = new WebClientPage(await context.newPage());
  after(async () => {
    await context.close();
    assert.deepEqual(client.errors, [], "the page logged errors");
  });
  if (initScript !== undefined) await client.page.addInitScript({ content: initScript });
  await client.page.goto(baseUrl + path);
  return client;
}
