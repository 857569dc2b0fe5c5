import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { osFreePort } from "../../src/devrel/free-ports.js";
import { startWest } from "../../src/index.js";
import { startWestProcess } from "../helpers/cli-process.js";
import { redisServer, skipWithoutRedis } from "../helpers/redis.js";
import { protocolClient } from "../helpers/ws-client.js";

const skip = skipWithoutRedis();

/** A throwaway CA and a server certificate for 127.0.0.1 signed by it. */
function certificates(dir: string): { ca: string; cert: string; key: string } {
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=west-test-ca",
    "-keyout",
    path("ca.key"),
    "-out",
    path("ca.pem"),
  );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    path("server.key"),
    "-out",
    path("server.csr"),
  );
  writeFileSync(path("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    path("server.csr"),
    "-CA",
    path("ca.pem"),
    "-CAkey",
    path("ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    path("san.ext"),
    "-out",
    path("server.pem"),
  );
  return { ca: path("ca.pem"), cert: path("server.pem"), key: path("server.key") };
}

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
