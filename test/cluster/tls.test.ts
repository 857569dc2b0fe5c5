import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { osFreePort } from "../../src/devrel/free-ports.js";
import { startWest } from "../../src/index.js";
import { certificates } from "../helpers/certificates.js";
import { startWestProcess } from "../helpers/cli-process.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { protocolClient } from "../helpers/ws-client.js";

const skip = skipWithoutRedis();

describe("Redis over TLS (rediss://)", { skip }, () => {
  it("a node reaches Redis through rediss:// and shares its channels with a node on the plain port", async () => {
    const dir = mkdtempSync(join(tmpdir(), "west-tls-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const { ca, cert, key } = certificates(dir);
    const tlsPort = await osFreePort();
    const redis = await redisServer({
      args: [
        "--tls-port",
        String(tlsPort),
        "--tls-cert-file",
        cert,
        "--tls-key-file",
        key,
        "--tls-ca-cert-file",
        ca,
        "--tls-auth-clients",
        "no",
      ],
    });
    const { port } = await startWestProcess(
      ["--port=0", "--dist=redis", `--redis=rediss://127.0.0.1:${tlsPort}`],
      {
        env: { NODE_EXTRA_CA_CERTS: ca },
      },
    );
    const owner = await protocolClient(`ws://127.0.0.1:${port}`, "json", "tls-owner");
    assert.equal(await owner.event({ event: "register", channel: "tls-r1" }), "registration_succeeded");
    const plain = await startWest({
      port: false,
      logLevel: "silent",
      dist: "redis",
      redis: { url: redis.url },
    });
    after(() => plain.stop());
    const other = plain.client("plain");
    assert.equal((await other.reg("tls-r1")).event, "registration_denied");
    assert.equal((await other.send("tls-r1", "through TLS")).event, "sending_succeeded");
    assert.deepEqual(await owner.take(), {
      event: "new_message",
      from: "plain",
      channel: "tls-r1",
      data: "through TLS",
    });
  });
});
