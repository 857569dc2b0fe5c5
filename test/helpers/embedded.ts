import { after } from "node:test";
import type { Message, WestClient, WestNode } from "../../src/index.js";
import { startWest } from "../../src/index.js";
import type { WestOptions } from "../../src/options.js";

/** An embedded node (no HTTP) that is stopped when the test file ends. */
export async function embeddedNode(options: WestOptions = {}): Promise<WestNode> {
  const node = await startWest({ port: false, logLevel: "silent", ...options });
  after(() => node.stop());
  return node;
}

/** A native client whose deliveries and notices are kept in `inbox`. */
export interface RecordingClient {
  client: WestClient;
  inbox: Message[];
}

export function recordingClient(node: WestNode, key: string): RecordingClient {
  const inbox: Message[] = [];
  const client = node.client(key, (message) => inbox.push(message));
  return { client, inbox };
}
