import assert from "node:assert/strict";
import { after, before } from "node:test";
import WebSocket from "ws";
import type { WestNode } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";
import { WestClient, type WestClientOptions, WestError, type WestMessage } from "../../src/sdk/index.js";
import { Wakeup } from "../helpers/wakeup.js";
import { startListening } from "../helpers/ws-client.js";

/**
 * An SDK client on `ws` with test-sized delays, connecting unless told not to; closed when the test (or the file)
 * ends.
 */
export function sdkClient(
  urls: string | string[],
  options: WestClientOptions = {},
  { connect = true } = {},
): WestClient {
  const client = new WestClient(urls, {
    WebSocket,
    reconnect: { minDelayMs: 20, maxDelayMs: 200 },
    ...options,
  });
  after(() => client.close());
  if (connect) client.connect().catch(() => undefined);
  return client;
}

/** What a handler received, with a way to wait for more. */
export class Received {
  readonly messages: WestMessage[] = [];
  private readonly changes = new Wakeup();
  readonly handler = (message: WestMessage): void => {
    this.messages.push(message);
    this.changes.wake();
  };

  data(): unknown[] {
    return this.messages.map((message) => message.data);
  }

  offsets(): (number | undefined)[] {
    return this.messages.map((message) => message.offset);
  }

  async until(count: number, timeoutMs = 5000): Promise<WestMessage[]> {
    await this.changes.until(() => this.messages.length >= count, timeoutMs, `${count} messages`);
    return this.messages;
  }
}

/** Resolves with the arguments of the next `event` of `emitter` that `accept` takes. */
export function next<A extends unknown[]>(
  emitter: { on(event: string, listener: (...args: A) => void): () => void },
  event: string,
  accept: (...args: A) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${event} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = emitter.on(event, (...args: A) => {
      if (!accept(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    });
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A node listening on a free loopback port for the whole of the enclosing `describe`. */
export function sharedNode(options: WestOptions = {}): () => WestNode & { wsUrl: string } {
  let node: (WestNode & { wsUrl: string }) | undefined;
  before(async () => {
    node = await startListening(options);
  });
  after(() => node?.stop());
  return () => {
    if (node === undefined) throw new Error("the node has not started");
    return node;
  };
}

/** The WestError a promise rejects with; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<WestError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof WestError, `a WestError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a rejection");
}
