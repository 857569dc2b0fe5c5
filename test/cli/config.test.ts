import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError, envName, flagName, loadConfig, OPTION_SPECS } from "../../src/config.js";
import { DEFAULTS } from "../../src/options.js";

async function configFile(content: unknown, extraFiles: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "west-config-"));
  after(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(extraFiles)) await writeFile(join(dir, name), text);
  const path = join(dir, "west.json");
  await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function configError(load: Promise<unknown>, ...fragments: string[]): Promise<void> {
  await assert.rejects(load, (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    for (const fragment of fragments)
      assert.ok(error.message.includes(fragment), `${fragment} in ${error.message}`);
    return true;
  });
}

describe("config: one naming rule", () => {
  it("derives env and flag names from the config key", () => {
    assert.equal(envName("commandTimeoutMs"), "WEST_COMMAND_TIMEOUT_MS");
    assert.equal(flagName("commandTimeoutMs"), "command-timeout-ms");
    assert.equal(envName("redis.cluster"), "WEST_REDIS_CLUSTER");
    assert.equal(flagName("redis.cluster"), "redis-cluster");
    assert.equal(envName("port"), "WEST_PORT");
  });

  it("every option has a description, and a default unless it is a hook", () => {
    for (const spec of OPTION_SPECS) {
      assert.ok(spec.description.length > 0, spec.key);
      if (spec.type !== "module") assert.notEqual(spec.default, undefined, spec.key);
    }
  });
});

describe("config: precedence defaults < file < env < flags", () => {
  it("with nothing given, every option is its default", async () => {
    const options = await loadConfig({});
    assert.deepEqual(options, {
      port: DEFAULTS.port,
      host: DEFAULTS.host,
      logLevel: DEFAULTS.logLevel,
      dist: DEFAULTS.dist,
      commandTimeoutMs: DEFAULTS.commandTimeoutMs,
      maxFrameBytes: DEFAULTS.maxFrameBytes,
      keepaliveIntervalMs: DEFAULTS.keepaliveIntervalMs,
    });
  });

  it("the config file beats the defaults, env beats the file, flags beat env", async () => {
    const path = await configFile({ port: 1001, host: "0.0.0.0", commandTimeoutMs: 1500, maxFrameBytes: 10 });
    const options = await loadConfig({
      configPath: path,
      env: { WEST_PORT: "1002", WEST_COMMAND_TIMEOUT_MS: "2500" },
      flags: { port: "1003" },
    });
    assert.equal(options.port, 1003, "flag over env over file");
    assert.equal(options.commandTimeoutMs, 2500, "env over file");
    assert.equal(options.host, "0.0.0.0", "file over default");
    assert.equal(options.maxFrameBytes, 10, "file over default");
    assert.equal(options.keepaliveIntervalMs, DEFAULTS.keepaliveIntervalMs, "default");
  });

  it("finds the config file through WEST_CONFIG, and --config beats it", async () => {
    const fromEnv = await configFile({ port: 2001 });
    const fromFlag = await configFile({ port: 2002 });
    assert.equal((await loadConfig({ env: { WEST_CONFIG: fromEnv } })).port, 2001);
    assert.equal((await loadConfig({ env: { WEST_CONFIG: fromEnv }, configPath: fromFlag })).port, 2002);
  });

  it("an empty environment variable counts as unset", async () => {
    assert.equal((await loadConfig({ env: { WEST_PORT: "", WEST_CONFIG: "" } })).port, DEFAULTS.port);
  });

  it("loads the handshake hook from a module path relative to the config file", async () => {
    const path = await configFile(
      { handshake: "./hook.mjs" },
      { "hook.mjs": "export default () => ({ status: 418, body: 'teapot' });\n" },
    );
    const { handshake } = await loadConfig({ configPath: path });
    assert.equal(typeof handshake, "function");
    assert.deepEqual(await handshake?.({} as never), { status: 418, body: "teapot" });
  });
});

describe("config: a bad value is an error naming the key and its source", () => {
  it("a flag out of range", async () => {
    await configError(
      loadConfig({ flags: { port: "70000" } }),
      "port",
      "flag --port",
      "0 to 65535",
      '"70000"',
    );
  });

  it("an env value that is not an integer", async () => {
    await configError(
      loadConfig({ env: { WEST_COMMAND_TIMEOUT_MS: "soon" } }),
      "commandTimeoutMs",
      "env WEST_COMMAND_TIMEOUT_MS",
      '"soon"',
    );
  });

  it("a timer longer than Node's timers can wait", async () => {
    await configError(loadConfig({ flags: { keepaliveIntervalMs: String(2 ** 31) } }), "keepaliveIntervalMs");
  });

  it("a file value of the wrong JSON type", async () => {
    const path = await configFile({ port: "8080" });
    await configError(loadConfig({ configPath: path }), "port", `config file ${path}`);
  });

  it("a value outside its choices", async () => {
    await configError(loadConfig({ flags: { logLevel: "loud" } }), "logLevel", "flag --log-level", "silent");
    await configError(loadConfig({ env: { WEST_DIST: "redis" } }), "dist", "env WEST_DIST", "local");
  });

  it("an empty host", async () => {
    await configError(loadConfig({ flags: { host: " " } }), "host", "flag --host");
  });

  it("a bad value is reported even when a higher layer overrides it", async () => {
    await configError(loadConfig({ env: { WEST_PORT: "x" }, flags: { port: "1" } }), "port", "env WEST_PORT");
  });

  it("an unknown key in the config file", async () => {
    const path = await configFile({ prot: 1 });
    await configError(loadConfig({ configPath: path }), '"prot"', path);
  });

  it("a config file that is missing, not JSON, or not an object", async () => {
    await configError(
      loadConfig({ configPath: "/nonexistent/west.json" }),
      "/nonexistent/west.json",
      "--config",
    );
    await configError(
      loadConfig({ env: { WEST_CONFIG: "/nonexistent/west.json" } }),
      "/nonexistent/west.json",
      "WEST_CONFIG",
    );
    await configError(loadConfig({ configPath: await configFile("{port: 1") }), "not valid JSON");
    await configError(loadConfig({ configPath: await configFile([1]) }), "JSON object");
  });

  it("the handshake hook anywhere but a config file", async () => {
    await configError(loadConfig({ env: { WEST_HANDSHAKE: "./hook.mjs" } }), "handshake", "config file");
  });

  it("a handshake module that is missing or exports no function", async () => {
    await configError(loadConfig({ configPath: await configFile({ handshake: "./none.mjs" }) }), "handshake");
    const path = await configFile({ handshake: "./hook.mjs" }, { "hook.mjs": "export default 42;\n" });
    await configError(loadConfig({ configPath: path }), "handshake", "default export");
  });
});
