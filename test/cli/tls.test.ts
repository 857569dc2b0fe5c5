import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { connect as tlsConnect } from "node:tls";
import WebSocket from "ws";
import { certificates } from "../helpers/certificates.js";
import { CliProcess, startWestProcess } from "../helpers/cli-process.js";
import { TestSocket } from "../helpers/ws-client.js";

const dir = mkdtempSync(join(tmpdir(), "west-tls-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Two certificates for 127.0.0.1, each signed by a CA of its own. */
function issue(name: string) {
  const where = join(dir, name);
  mkdirSync(where);
  const files = certificates(where);
  return { ...files, caPem: readFileSync(files.ca) };
}
const first = issue("first");
const second = issue("second");
const live = { cert: join(dir, "cert.pem"), key: join(dir, "key.pem") };
function install(files: { cert: string; key: string }): void {
  copyFileSync(files.cert, live.cert);
  copyFileSync(files.key, live.key);
}

function httpsStatus(port: number, ca: Buffer, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: "127.0.0.1", port, path, ca }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on("error", reject);
  });
}

/** The serial number of the certificate the server shows a new TLS connection. */
function servedSerial(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on("error", reject);
  });
}

function openWss(port: number, key: string, ca: Buffer): Promise<TestSocket> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/websocket/json/${key}`, { ca });
  const socket = new TestSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(socket));
    ws.once("error", reject);
  });
}

async function reply(socket: TestSocket): Promise<Record<string, unknown>> {
  return JSON.parse(String(await socket.take())) as Record<string, unknown>;
}

describe("west start with tls.cert and tls.key: https and wss, certificates reloaded on SIGHUP", () => {
  it("serves https:// and wss://, and a SIGHUP swaps the certificate without dropping open connections", async () => {
    install(first);
    const { west, port } = await startWestProcess([
      ...["--port", "0", "--tls-cert", live.cert, "--tls-key", live.key],
    ]);
    await west.nextLine("stdout", `west node running at https://127.0.0.1:${port}`);
    assert.equal(await httpsStatus(port, first.caPem, "/healthz"), 200);
    const firstSerial = await servedSerial(port);

    const reader = await openWss(port, "reader", first.caPem);
    reader.send(JSON.stringify({ event: "subscribe", channel: "news", id: 1 }));
    assert.equal((await reply(reader)).event, "subscription_succeeded");

    install(second);
    west.signal("SIGHUP");
    await west.nextLine("stdout", "TLS certificate reloaded");
    assert.notEqual(await servedSerial(port), firstSerial, "new connections get the new certificate");
    await assert.rejects(openWss(port, "late", first.caPem), /self-signed|unable to verify|certificate/i);
    const writer = await openWss(port, "writer", second.caPem);
    writer.send(JSON.stringify({ event: "publish", channel: "news", data: "after the reload", id: 2 }));
    assert.equal((await reply(writer)).event, "publication_succeeded");
    const delivery = await reply(reader);
    assert.equal(delivery.data, "after the reload", "the connection opened before the reload still reads");

    writeFileSync(live.cert, "not a certificate\n");
    west.signal("SIGHUP");
    await west.nextLine("stdout", "TLS certificate not reloaded");
    assert.equal(await httpsStatus(port, second.caPem, "/healthz"), 200, "the last good certificate stays");
    west.signal("SIGTERM");
    assert.equal(await west.exitCode(), 0);
  });

  it("refuses to start with only one of the two files, naming the other", async () => {
    install(first);
    const west = new CliProcess(["start", "--port", "0", "--tls-cert", live.cert]);
    assert.notEqual(await west.exitCode(), 0);
    assert.match(west.output(), /tls\.key/);
  });

  it("refuses to start when a file cannot be read, naming it", async () => {
    const missing = join(dir, "missing.pem");
    const west = new CliProcess(["start", "--port", "0", "--tls-cert", missing, "--tls-key", live.key]);
    assert.notEqual(await west.exitCode(), 0);
    assert.match(west.output(), /cannot read tls\.cert .*missing\.pem: ENOENT/);
  });

  it("a node without TLS takes a SIGHUP and goes on serving", async () => {
    const { west, port } = await startWestProcess(["--port", "0"]);
    west.signal("SIGHUP");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(answer.status, 200);
    west.signal("SIGTERM");
    assert.equal(await west.exitCode(), 0);
  });
});
