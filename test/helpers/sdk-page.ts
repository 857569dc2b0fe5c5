import type { Browser, Page } from "playwright-core";

/** What the in-page harness records of its client. */
export interface PageLog {
  states: [state: string, reason: string | null, code: number | null][];
  received: { channel: string; from: string; data: unknown; offset: number | null }[];
  subscribed: { channel: string; recovered: boolean }[];
  /** subscription_succeeded seen in all (kept also when the log is quiet). */
  subscribedCount: number;
  errors: string[];
}

export interface PageClientOptions {
  key?: string;
  protocol?: "json" | "pb";
  /** Tokens come from the test, through a function the page calls before every connection attempt. */
  tokens?: () => Promise<string>;
  /** Record nothing but counts (for a leak check, where a growing log would be the leak). */
  quiet?: boolean;
  /** Reconnect delays (default 20-200 ms). */
  reconnect?: { minDelayMs: number; maxDelayMs: number };
}

/** The page's globals that the harness sets. */
interface Harness {
  westLog: PageLog;
  // biome-ignore lint/suspicious/noExplicitAny: the SDK as the page imported it, untyped in the page
  westClient: any;
  testToken?: () => Promise<string>;
  westQuiet: boolean;
}

/**
 * A Chromium page of a node's origin running the SDK's browser build (/client/west-client.js) with the browser's
 * own WebSocket, and a log of what its one client sees.
 */
export class SdkPage {
  private constructor(readonly page: Page) {}

  /** Opens `origin` (a node's http URL) and a client of `urls` in it; connecting starts at once. */
  static async open(
    browser: Browser,
    origin: string,
    urls: string[],
    options: PageClientOptions,
    page?: Page,
  ): Promise<SdkPage> {
    page ??= await browser.newPage();
    await page.goto(`${origin}/healthz`);
    if (options.tokens !== undefined) await page.exposeFunction("testToken", options.tokens);
    const settings = {
      key: options.key,
      protocol: options.protocol ?? "json",
      withTokens: options.tokens !== undefined,
      reconnect: options.reconnect ?? { minDelayMs: 20, maxDelayMs: 200 },
      quiet: options.quiet === true,
    };
    await page.evaluate(
      async ({ urls, settings }) => {
        const harness = globalThis as unknown as Harness;
        const build = "/client/west-client.js";
        const { WestClient } = await import(build);
        const log: PageLog = { states: [], received: [], subscribed: [], subscribedCount: 0, errors: [] };
        harness.westLog = log;
        harness.westQuiet = settings.quiet;
        const client = new WestClient(urls, {
          key: settings.key,
          protocol: settings.protocol,
          reconnect: settings.reconnect,
          ...(settings.withTokens ? { getToken: () => (harness.testToken as () => Promise<string>)() } : {}),
        });
        harness.westClient = client;
        client.on("state", (state: string, info?: { reason: string; code?: number }) =>
          settings.quiet ? undefined : log.states.push([state, info?.reason ?? null, info?.code ?? null]),
        );
        client.on("error", (error: unknown) => log.errors.push(String(error)));
        void client.connect().catch(() => undefined);
      },
      { urls, settings },
    );
    return new SdkPage(page);
  }

  /** Subscribes in the page; what arrives goes to the log. */
  async subscribe(channel: string, recover = false): Promise<void> {
    await this.page.evaluate(
      ({ channel, recover }) => {
        const { westClient, westLog, westQuiet: quiet } = globalThis as unknown as Harness;
        const subscription = westClient.subscribe(
          channel,
          (m: { from: string; data: unknown; offset?: number }) =>
            westLog.received.push({
              channel,
              from: m.from,
              data: m.data instanceof Uint8Array ? new TextDecoder().decode(m.data) : m.data,
              offset: m.offset ?? null,
            }),
          { recover },
        );
        subscription.on("subscribed", (info: { recovered: boolean }) => {
          westLog.subscribedCount++;
          if (!quiet) westLog.subscribed.push({ channel, recovered: info.recovered });
        });
        return subscription.ready.then(() => undefined);
      },
      { channel, recover },
    );
  }

  /** Registers `channel` in the page, answering each request with its own data. */
  async registerEcho(channel: string): Promise<void> {
    await this.page.evaluate((channel) => {
      const { westClient } = globalThis as unknown as Harness;
      return westClient.register(channel, undefined, { onRequest: (data: unknown) => data }).ready;
    }, channel);
  }

  /** Publishes from the page; resolves to the reply's event. */
  publish(channel: string, data: string): Promise<string> {
    return this.page.evaluate(
      async ({ channel, data }) => {
        const { westClient } = globalThis as unknown as Harness;
        return (await westClient.publish(channel, data)).event;
      },
      { channel, data },
    );
  }

  /** Waits, in the page, until `count` subscription_succeeded have been seen in all. */
  async untilSubscribed(count: number): Promise<void> {
    await this.page.waitForFunction(
      (count) => (globalThis as unknown as Harness).westLog.subscribedCount >= count,
      count,
      { polling: 5, timeout: 15_000 },
    );
  }

  /** Listeners on the client, timers the page has pending, and the JS heap after a full GC (bytes). */
  async footprint(): Promise<{ listeners: number; timers: number; heap: number }> {
    const cdp = await this.page.context().newCDPSession(this.page);
    await cdp.send("HeapProfiler.collectGarbage");
    const { usedSize } = await cdp.send("Runtime.getHeapUsage");
    await cdp.detach();
    const counts = await this.page.evaluate(() => {
      const harness = globalThis as unknown as Harness & { liveTimers?: () => number };
      return {
        listeners: harness.westClient.listenerCount() as number,
        timers: harness.liveTimers?.() ?? -1,
      };
    });
    return { ...counts, heap: usedSize };
  }

  log(): Promise<PageLog> {
    return this.page.evaluate(() => (globalThis as unknown as Harness).westLog);
  }

  /** Waits until `condition` holds of the log (checked in the page, every 20 ms). */
  async until(condition: (log: PageLog) => boolean, timeoutMs = 15_000): Promise<PageLog> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await this.log();
      if (condition(log)) return log;
      if (Date.now() > deadline)
        throw new Error(`the page's log never matched: ${JSON.stringify(log).slice(0, 2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  close(): Promise<void> {
    return this.page.close();
  }
}
