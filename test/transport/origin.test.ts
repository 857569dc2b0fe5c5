import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { WebSocketServer } from "ws";
import { originPolicy } from "../../src/transport/origin.js";
import { refuseUpgrade } from "../../src/transport/upgrade.js";
import { certificates } from "../helpers/certificates.js";
import { tryUpgrade } from "../helpers/ws-client.js";

/** An https server whose upgrades pass the origin policy of a node with no allowedOrigins. */
async function tlsServer(): Promise<{ wssUrl: string; port: number; ca: Buffer }> {
  const dir = mkdtempSync(join(tmpdir(), "west-origin-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const paths = certificates(dir);
  const [ca, cert, key] = [paths.ca, paths.cert, paths.key].map((path) => readFileSync(path));
  const server = createServer({ cert, key });
  const sockets = new WebSocketServer({ noServer: true });
  const policy = originPolicy([]);
  server.on("upgrade", (request, socket, head) => {
    const refusal = policy(request);
    if (refusal !== undefined) refuseUpgrade(socket, refusal);
    else sockets.handleUpgrade(request, socket, head, (ws) => ws.close(1000));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  after(async () => {
    for (const ws of sockets.clients) ws.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { wssUrl: `wss://127.0.0.1:${port}`, port, ca: ca as Buffer };
}

describe("the node's own origin on a TLS connection", () => {
  it("is https://HOST: it opens; http://HOST is another origin (403), whatever X-Forwarded-Proto says", async () => {
    const { wssUrl, port, ca } = await tlsServer();
    const upgrade = (origin: string, headers: Record<string, string> = {}) =>
      tryUpgrade(wssUrl, "/websocket/json/tls", { ca, origin, headers });
    assert.ok("opened" in (await upgrade(`https://127.0.0.1:${port}`)), "https opens");
    assert.ok("opened" in (await upgrade(`https://127.0.0.1:${port}`, { "X-Forwarded-Proto": "http" })));
    for (const headers of [{}, { "X-Forwarded-Proto": "http" }] as Record<string, string>[]) {
      const outcome = await upgrade(`http://127.0.0.1:${port}`, headers);
      assert.ok(
        "status" in outcome && outcome.status === 403,
        `http is refused (${JSON.stringify(headers)})`,
      );
    }
  });
});
