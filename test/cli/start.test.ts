import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { busyPort, CliProcess, freePort, startWestProcess } from "../helpers/cli-process.js";
import { redisServer, requireRedis } from "../helpers/redis.js";
import { connect } from "../helpers/ws-client.js";

async function configDir(config: unknown, files: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "west-start-"));
  after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  const path = join(dir, "west.json");
  await writeFile(path, JSON.stringify(config));
  return path;
}

describe("west start", () => {
  it("takes the port from the flag over env over the config file", async () => {
    // The ports the lower layers name are busy: a node that used one of them could not start.
    const config = await configDir({ port: await busyPort() });
    const env = { WEST_PORT: String(await busyPort()) };
    const wanted = await freePort();
    const { west, port } = await startWestProcess(["--config", config, "--port", String(wanted)], { env });
    assert.equal(port, wanted);
    west.signal("SIGTERM");
    assert.equal(await west.exitCode(), 0);
  });

  it("takes the port from env over the config file, and the log level from the flag over the file", async () => {
    const config = await configDir({ port: await busyPort(), logLevel: "silent" });
    const { west } = await startWestProcess(["--log-level", "info"], {
      env: { WEST_CONFIG: config, WEST_PORT: "0" },
    });
    west.signal("SIGTERM");
    assert.equal(await west.exitCode(), 0);
  });

  it("prints the node's URL", async () => {
    const { west, port } = await startWestProcess(["--port", "0"]);
    await west.nextLine("stdout", `http://127.0.0.1:${port}`);
    west.signal("SIGTERM");
    assert.equal(await west.exitCode(), 0);
  });

  for (const level of ["warn", "silent"]) {
    it(`with --log-level ${level} prints one line, the node's URL, once it is up`, async () => {
      const west = new CliProcess(["start", "--port", "0", "--log-level", level]);
      const line = await west.nextLine("stdout", "west node running at");
      const { url, msg } = JSON.parse(line) as { url: string; msg: string };
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(msg, `west node running at ${url}`);
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      west.signal("SIGTERM");
      assert.equal(await west.exitCode(), 0);
      assert.deepEqual(west.lines.stdout, [line]);
    });
  }

  for (const [what, args, env, expected] of [
    ["a flag out of range", ["--port", "70000"], {}, "invalid port (flag --port)"],
    [
      "a bad env value",
      [],
      { WEST_MAX_FRAME_BYTES: "1MB" },
      "invalid maxFrameBytes (env WEST_MAX_FRAME_BYTES)",
    ],
    ["an unknown log level", ["--log-level", "loud"], {}, "invalid logLevel (flag --log-level)"],
    ["a missing config file", ["--config", "/nonexistent/west.json"], {}, "cannot read config file"],
    ["an unknown flag", ["--prot", "1"], {}, "unknown option '--prot'"],
  ] as const) {
    it(`exits 2 with a message on ${what}`, async () => {
      const west = new CliProcess(["start", ...args], { env });
      assert.equal(await west.exitCode(), 2);
      await west.nextLine("stderr", expected);
    });
  }

  it("exits 2 on a bad config file value, naming the file", async () => {
    const config = await configDir({ port: 0, keepaliveIntervalMs: -5 });
    const west = new CliProcess(["start", "--config", config]);
    assert.equal(await west.exitCode(), 2);
    await west.nextLine("stderr", `invalid keepaliveIntervalMs (config file ${config})`);
  });

  it("exits 1 with a message when the port is taken", async () => {
    const west = new CliProcess(["start", "--port", String(await busyPort())]);
    assert.equal(await west.exitCode(), 1);
    await west.nextLine("stderr", "EADDRINUSE");
  });

  it("refuses upgrades with the status of the config file's handshake hook", async () => {
    const hook =
      'export default (request) => request.url.endsWith("?token=letmein") ? true : { status: 403, body: "no" };\n';
    const config = await configDir({ port: 0, handshake: "./hooks/token.mjs" }, { "hooks/token.mjs": hook });
    // Run from the config file's parent folder: the module path is relative to the file, not to the cwd.
    const { port } = await startWestProcess(["--config", join(basename(dirname(config)), "west.json")], {
      cwd: dirname(dirname(config)),
    });
    const url = `ws://127.0.0.1:${port}`;
    await assert.rejects(connect(url, "text", "u1"), /upgrade refused: 403/);
    const allowed = await connect(url, "text", "u1", "?token=letmein");
    allowed.send("ping");
    assert.equal(await allowed.next(), "pong");
  });
});

describe("west start: stopping", () => {
  it("npm start: SIGTERM to npm stops the node (the script execs it: npm's child is the node) and frees its port", async () => {
    const repository = fileURLToPath(new URL("../../../", import.meta.url));
    // --ignore-scripts: the start script alone, without the prestart build (the tests run from that build).
    const npm = new CliProcess(["start", "--ignore-scripts", "--", "--port", "0"], {
      cwd: repository,
      program: ["npm"],
    });
    const { port } = JSON.parse(await npm.nextLine("stdout", '"msg":"listening"')) as { port: number };
    npm.signal("SIGTERM");
    await npm.nextLine("stdout", '"msg":"stopped"');
    await npm.exitCode();
    await assert.rejects(portOpen(port), /ECONNREFUSED/);
  });

  it("on SIGTERM closes connected sockets with 1001 and exits 0", async () => {
    const { west, port } = await startWestProcess(["--port", "0"]);
    const client = await connect(`ws://127.0.0.1:${port}`, "json", "u1");
    west.signal("SIGTERM");
    assert.equal(await client.closedWith(), 1001);
    assert.equal(await west.exitCode(), 0);
  });

  it("on SIGINT exits 0 too", async () => {
    const { west } = await startWestProcess(["--port", "0"]);
    west.signal("SIGINT");
    assert.equal(await west.exitCode(), 0);
  });

  it("a signal within a second of the first is the same request (npm forwards the Ctrl-C the node got too)", async () => {
    const { west, port } = await startWestProcess(["--port", "0"]);
    // A client that never answers the close holds the stop open for the shutdown grace period.
    await silentWebSocket(port);
    west.signal("SIGTERM");
    await west.nextLine("stdout", '"msg":"stopping"');
    west.signal("SIGTERM");
    await west.nextLine("stdout", "already stopping");
    assert.equal(await west.exitCode(), 0);
    await west.nextLine("stdout", '"msg":"stopped"');
  });

  it("a signal a second or more after the first exits at once, without waiting for the stop to end", async (t) => {
    if (!requireRedis(t)) return;
    const redis = await redisServer();
    const { west } = await startWestProcess([
      ...["--port", "0", "--dist", "redis", "--redis", redis.url, "--command-timeout-ms", "60000"],
    ]);
    // A Redis that does not answer: leaving it waits for the command timeout, a minute.
    const redisPid = redis.pid as number;
    process.kill(redisPid, "SIGSTOP");
    t.after(() => process.kill(redisPid, "SIGCONT"));
    west.signal("SIGTERM");
    await west.nextLine("stdout", '"msg":"stopping"');
    await sleep(1500);
    west.signal("SIGTERM");
    assert.equal(await west.exitCode(), 128 + 15);
    await west.nextLine("stdout", "second signal");
  });
});

/** A WebSocket that never answers anything, so a graceful stop has to wait for it. */
/** Resolves once a TCP connection to `port` opens, rejects with the error if it cannot. */
function portOpen(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve();
    });
    socket.once("error", reject);
  });
}

async function silentWebSocket(port: number): Promise<void> {
  const socket = tcpConnect(port, "127.0.0.1");
  after(() => socket.destroy());
  socket.write(
    "GET /websocket/text/silent HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("data", (chunk: Buffer) =>
      chunk.toString().startsWith("HTTP/1.1 101") ? resolve() : reject(new Error(chunk.toString())),
    );
    socket.once("error", reject);
  });
  socket.on("error", () => undefined);
}
