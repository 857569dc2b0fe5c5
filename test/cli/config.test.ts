import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import {
  ConfigError,
  envName,
  flagName,
  loadConfig,
  OPTION_SPECS,
  optionFlag,
  renderConfigTable,
} from "../../src/config.js";
import { API_DEFAULTS, AUTH_DEFAULTS, DEFAULTS, REDIS_DEFAULTS } from "../../src/options.js";

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

  it("every option has a description, and a default unless it is a hook, an empty list, auth, the API key, rules, the TLS files, the HTTP prefix (the root) or names a Redis or its credentials", () => {
    const noDefault = [
      "tls.cert",
      "tls.key",
      "httpPrefix",
      "api.key",
      "admin.password",
      "handshake",
      "allowedOrigins",
      "redis.url",
      "redis.cluster",
      "redis.username",
      "redis.password",
      "auth.jwtSecret",
      "auth.jwtPublicKey",
      "auth.jwtPublicKeyFile",
      "auth.algorithms",
      "auth.issuer",
      "auth.audience",
      "permissions",
      "channels",
    ];
    for (const spec of OPTION_SPECS) {
      assert.ok(spec.description.length > 0, spec.key);
      assert.equal(spec.default === undefined, noDefault.includes(spec.key), spec.key);
    }
  });

  it("redis.url's flag is --redis; its env name still follows the rule", () => {
    const spec = OPTION_SPECS.find(({ key }) => key === "redis.url");
    assert.ok(spec);
    assert.equal(optionFlag(spec), "redis");
    assert.equal(envName(spec.key), "WEST_REDIS_URL");
    assert.match(renderConfigTable(), /\| `redis\.url` \| `WEST_REDIS_URL` \| `--redis` \|/);
  });
});

describe("config: precedence defaults < file < env < flags", () => {
  it("with nothing given, every option is its default", async () => {
    const options = await loadConfig({});
    assert.deepEqual(options, {
      port: DEFAULTS.port,
      host: DEFAULTS.host,
      listenBacklog: DEFAULTS.listenBacklog,
      path: DEFAULTS.path,
      webClient: true,
      healthz: true,
      logLevel: DEFAULTS.logLevel,
      dist: DEFAULTS.dist,
      commandTimeoutMs: DEFAULTS.commandTimeoutMs,
      maxFrameBytes: DEFAULTS.maxFrameBytes,
      keepaliveIntervalMs: DEFAULTS.keepaliveIntervalMs,
      maxChannelsPerConnection: DEFAULTS.maxChannelsPerConnection,
      maxCommandsInFlight: DEFAULTS.maxCommandsInFlight,
      maxPendingRequests: DEFAULTS.maxPendingRequests,
      maxConnections: DEFAULTS.maxConnections,
      maxCommandsPerSecond: DEFAULTS.maxCommandsPerSecond,
      maxChannelBytes: DEFAULTS.maxChannelBytes,
      maxKeyBytes: DEFAULTS.maxKeyBytes,
      slowConsumerBytes: DEFAULTS.slowConsumerBytes,
      slowConsumerStallMs: DEFAULTS.slowConsumerStallMs,
      metrics: DEFAULTS.metrics,
      handshakeTimeoutMs: DEFAULTS.handshakeTimeoutMs,
      api: { bodyTimeoutMs: API_DEFAULTS.bodyTimeoutMs },
      auth: { requireExp: AUTH_DEFAULTS.requireExp },
      redis: {
        heartbeatTtlMs: REDIS_DEFAULTS.heartbeatTtlMs,
        ownerRecordTtlMs: REDIS_DEFAULTS.ownerRecordTtlMs,
        waitReplicas: REDIS_DEFAULTS.waitReplicas,
        keyPrefix: REDIS_DEFAULTS.keyPrefix,
        tls: false,
      },
    });
  });

  it("the HTTP API's key comes from WEST_API_KEY (or a file, or --api-key), and a bad one is not shown", async () => {
    assert.equal((await loadConfig({ env: { WEST_API_KEY: "s3cret-key" } })).api?.key, "s3cret-key");
    const path = await configFile({ api: { key: 12345678 } });
    await assert.rejects(loadConfig({ configPath: path }), (error: Error) => {
      assert.match(error.message, /api\.key/);
      assert.doesNotMatch(error.message, /12345678/);
      return true;
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

describe("config: the limits", () => {
  it("have the documented defaults", () => {
    assert.deepEqual(
      {
        maxChannelsPerConnection: DEFAULTS.maxChannelsPerConnection,
        maxCommandsInFlight: DEFAULTS.maxCommandsInFlight,
        maxPendingRequests: DEFAULTS.maxPendingRequests,
        maxConnections: DEFAULTS.maxConnections,
        maxCommandsPerSecond: DEFAULTS.maxCommandsPerSecond,
        maxChannelBytes: DEFAULTS.maxChannelBytes,
        maxKeyBytes: DEFAULTS.maxKeyBytes,
        allowedOrigins: DEFAULTS.allowedOrigins,
      },
      {
        maxChannelsPerConnection: 1000,
        maxCommandsInFlight: 1000,
        maxPendingRequests: 100,
        maxConnections: 50000,
        maxCommandsPerSecond: 10000,
        maxChannelBytes: 256,
        maxKeyBytes: 256,
        allowedOrigins: [],
      },
    );
    const table = renderConfigTable();
    for (const [key, value] of [
      ["maxChannelsPerConnection", "1000"],
      ["maxCommandsInFlight", "1000"],
      ["maxPendingRequests", "100"],
      ["maxConnections", "50000"],
      ["maxCommandsPerSecond", "10000"],
      ["maxChannelBytes", "256"],
      ["maxKeyBytes", "256"],
    ]) {
      assert.match(table, new RegExp(`\\| \`${key}\` \\|.*\\| \`${value}\` \\|`), key);
    }
  });

  it("are set from flags, env and the config file; 0 turns the command rate limit off", async () => {
    const path = await configFile({ maxChannelsPerConnection: 3, maxKeyBytes: 32 });
    const options = await loadConfig({
      configPath: path,
      env: { WEST_MAX_CONNECTIONS: "10", WEST_MAX_CHANNEL_BYTES: "64" },
      flags: { maxCommandsPerSecond: "0" },
    });
    assert.equal(options.maxChannelsPerConnection, 3);
    assert.equal(options.maxKeyBytes, 32);
    assert.equal(options.maxConnections, 10);
    assert.equal(options.maxChannelBytes, 64);
    assert.equal(options.maxCommandsPerSecond, 0);
  });

  it("refuse values out of range", async () => {
    await configError(
      loadConfig({ flags: { maxChannelsPerConnection: "0" } }),
      "invalid maxChannelsPerConnection (flag --max-channels-per-connection)",
    );
    await configError(loadConfig({ env: { WEST_MAX_CONNECTIONS: "0" } }), "maxConnections");
    await configError(loadConfig({ env: { WEST_MAX_COMMANDS_PER_SECOND: "-1" } }), "maxCommandsPerSecond");
    await configError(loadConfig({ flags: { maxKeyBytes: "65537" } }), "maxKeyBytes", "1 to 65536");
  });

  it("handshakeTimeoutMs: 10000 by default; from flags, env and the config file; within a timer's range", async () => {
    assert.equal(DEFAULTS.handshakeTimeoutMs, 10_000);
    assert.match(
      renderConfigTable(),
      /\| `handshakeTimeoutMs` \| `WEST_HANDSHAKE_TIMEOUT_MS` \| `--handshake-timeout-ms` \|.*\| `10000` \|/,
    );
    assert.equal((await loadConfig({ flags: { handshakeTimeoutMs: "500" } })).handshakeTimeoutMs, 500);
    assert.equal((await loadConfig({ env: { WEST_HANDSHAKE_TIMEOUT_MS: "750" } })).handshakeTimeoutMs, 750);
    const path = await configFile({ handshakeTimeoutMs: 2500 });
    assert.equal((await loadConfig({ configPath: path })).handshakeTimeoutMs, 2500);
    await configError(loadConfig({ flags: { handshakeTimeoutMs: "0" } }), "invalid handshakeTimeoutMs");
    await configError(
      loadConfig({ env: { WEST_HANDSHAKE_TIMEOUT_MS: String(2 ** 31) } }),
      "invalid handshakeTimeoutMs (env WEST_HANDSHAKE_TIMEOUT_MS)",
    );
  });

  it("allowedOrigins: comma-separated in env and flags, a JSON array or a comma string in a file", async () => {
    const fromEnv = await loadConfig({
      env: { WEST_ALLOWED_ORIGINS: "https://app.example.com, http://localhost:3000" },
    });
    assert.deepEqual(fromEnv.allowedOrigins, ["https://app.example.com", "http://localhost:3000"]);
    assert.deepEqual((await loadConfig({ flags: { allowedOrigins: "*" } })).allowedOrigins, ["*"]);
    const fromArray = await configFile({ allowedOrigins: ["https://a.example", "https://b.example:8443/"] });
    assert.deepEqual((await loadConfig({ configPath: fromArray })).allowedOrigins, [
      "https://a.example",
      "https://b.example:8443/",
    ]);
    const empty = await configFile({ allowedOrigins: [] });
    assert.deepEqual((await loadConfig({ configPath: empty })).allowedOrigins, []);
    const fromString = await configFile({ allowedOrigins: "https://a.example,https://b.example" });
    assert.deepEqual((await loadConfig({ configPath: fromString })).allowedOrigins, [
      "https://a.example",
      "https://b.example",
    ]);
  });

  it("allowedOrigins: an item that is not an origin or * is an error", async () => {
    for (const bad of [
      "example.com",
      "https://a.example/path",
      "https://a.example,,https://b.example",
      "*,x y",
    ]) {
      await configError(
        loadConfig({ env: { WEST_ALLOWED_ORIGINS: bad } }),
        "invalid allowedOrigins (env WEST_ALLOWED_ORIGINS)",
        "scheme://host[:port]",
      );
    }
    await configError(
      loadConfig({ configPath: await configFile({ allowedOrigins: [7] }) }),
      "invalid allowedOrigins (config file",
    );
  });
});

describe("config: the Redis options", () => {
  it("a URL from the --redis flag, the rest from env, as one nested redis object", async () => {
    const options = await loadConfig({
      flags: { dist: "redis", "redis.url": "rediss://alice:s3cret@redis.example:6380" },
      env: {
        WEST_REDIS_HEARTBEAT_TTL_MS: "500",
        WEST_REDIS_WAIT_REPLICAS: "1",
        WEST_REDIS_KEY_PREFIX: "app1:",
      },
    });
    assert.equal(options.dist, "redis");
    assert.deepEqual(options.redis, {
      url: "rediss://alice:s3cret@redis.example:6380",
      heartbeatTtlMs: 500,
      ownerRecordTtlMs: REDIS_DEFAULTS.ownerRecordTtlMs,
      waitReplicas: 1,
      keyPrefix: "app1:",
      tls: false,
    });
  });

  it("cluster seeds comma-separated in env, with ACL user, password and TLS", async () => {
    const options = await loadConfig({
      env: {
        WEST_DIST: "redis",
        WEST_REDIS_CLUSTER: "10.0.0.1:7000, 10.0.0.2:7000,[::1]:7001",
        WEST_REDIS_USERNAME: "west",
        WEST_REDIS_PASSWORD: "pw",
        WEST_REDIS_TLS: "true",
      },
    });
    assert.deepEqual(options.redis?.cluster, ["10.0.0.1:7000", "10.0.0.2:7000", "[::1]:7001"]);
    assert.equal(options.redis?.username, "west");
    assert.equal(options.redis?.password, "pw");
    assert.equal(options.redis?.tls, true);
  });

  it("in a config file: a nested object, seeds as a JSON array or a comma string, tls as a JSON boolean", async () => {
    const fromArray = await configFile({
      dist: "redis",
      redis: { cluster: ["127.0.0.1:7000", "127.0.0.1:7001"], tls: true, waitReplicas: 1 },
    });
    const options = await loadConfig({ configPath: fromArray });
    assert.deepEqual(options.redis?.cluster, ["127.0.0.1:7000", "127.0.0.1:7001"]);
    assert.equal(options.redis?.tls, true);
    assert.equal(options.redis?.waitReplicas, 1);
    const fromString = await configFile({
      dist: "redis",
      redis: { cluster: "127.0.0.1:7000,127.0.0.1:7001" },
    });
    assert.deepEqual((await loadConfig({ configPath: fromString })).redis?.cluster, [
      "127.0.0.1:7000",
      "127.0.0.1:7001",
    ]);
  });

  it("a flag overrides a file's nested value and keeps its siblings", async () => {
    const path = await configFile({ redis: { keyPrefix: "file:", heartbeatTtlMs: 700 } });
    const options = await loadConfig({ configPath: path, flags: { "redis.keyPrefix": "flag:" } });
    assert.equal(options.redis?.keyPrefix, "flag:");
    assert.equal(options.redis?.heartbeatTtlMs, 700);
  });

  it("booleans: true, false, 1, 0 in env and flags", async () => {
    for (const [text, value] of [
      ["true", true],
      ["FALSE", false],
      ["1", true],
      ["0", false],
    ] as const) {
      assert.equal((await loadConfig({ env: { WEST_REDIS_TLS: text } })).redis?.tls, value, text);
      assert.equal((await loadConfig({ flags: { "redis.tls": text } })).redis?.tls, value, text);
    }
  });

  it("dist redis needs redis.url or redis.cluster, and not both", async () => {
    await configError(loadConfig({ flags: { dist: "redis" } }), "redis.url (--redis, WEST_REDIS_URL)");
    await configError(
      loadConfig({
        flags: { dist: "redis", "redis.url": "redis://127.0.0.1:6379", "redis.cluster": "127.0.0.1:7000" },
      }),
      "not both",
    );
  });

  it("dist local ignores the Redis options", async () => {
    const options = await loadConfig({ env: { WEST_REDIS_URL: "redis://127.0.0.1:6379" } });
    assert.equal(options.dist, "local");
  });

  it("bad Redis values name the option and the source", async () => {
    await configError(
      loadConfig({ flags: { "redis.url": "http://127.0.0.1:6379" } }),
      "invalid redis.url (flag --redis)",
      "redis:// or rediss://",
    );
    await configError(
      loadConfig({ env: { WEST_REDIS_CLUSTER: "127.0.0.1" } }),
      "invalid redis.cluster (env WEST_REDIS_CLUSTER)",
      "host:port",
    );
    await configError(loadConfig({ env: { WEST_REDIS_CLUSTER: "a:1,,b:2" } }), "redis.cluster");
    await configError(loadConfig({ env: { WEST_REDIS_CLUSTER: "a:70000" } }), "redis.cluster");
    await configError(
      loadConfig({ configPath: await configFile({ redis: { cluster: [] } }) }),
      "redis.cluster",
    );
    await configError(loadConfig({ flags: { "redis.tls": "yes" } }), "invalid redis.tls (flag --redis-tls)");
    await configError(loadConfig({ configPath: await configFile({ redis: { tls: "true" } }) }), "redis.tls");
    await configError(loadConfig({ env: { WEST_REDIS_WAIT_REPLICAS: "-1" } }), "redis.waitReplicas");
    await configError(
      loadConfig({ flags: { "redis.keyPrefix": "{west}:" } }),
      "invalid redis.keyPrefix (flag --redis-key-prefix)",
    );
    await configError(loadConfig({ configPath: await configFile({ redis: { lru: 1 } }) }), '"redis.lru"');
  });

  it("an error never shows a value that may hold a password", async () => {
    const passwordFile = await configFile({ redis: { password: 12345 } });
    for (const load of [
      () => loadConfig({ flags: { "redis.url": "ftp://alice:s3cret@host:1" } }),
      () => loadConfig({ configPath: passwordFile }),
    ]) {
      await assert.rejects(load(), (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(!error.message.includes("s3cret") && !error.message.includes("12345"), error.message);
        return true;
      });
    }
  });
});

describe("config: auth and permissions", () => {
  it("auth from env: the secret, algorithms comma-separated, issuer and audience, as one nested auth object", async () => {
    const options = await loadConfig({
      env: {
        WEST_AUTH_JWT_SECRET: "a secret of at least thirty-two bytes",
        WEST_AUTH_ALGORITHMS: "HS256, HS512",
        WEST_AUTH_ISSUER: "https://issuer.test",
        WEST_AUTH_AUDIENCE: "west",
      },
    });
    assert.deepEqual(options.auth, {
      jwtSecret: "a secret of at least thirty-two bytes",
      algorithms: ["HS256", "HS512"],
      issuer: "https://issuer.test",
      audience: "west",
      requireExp: true,
    });
  });

  it("auth.requireExp: true by default (a token without exp is refused); false from env, flag or file", async () => {
    assert.equal(AUTH_DEFAULTS.requireExp, true);
    assert.match(
      renderConfigTable(),
      /\| `auth\.requireExp` \| `WEST_AUTH_REQUIRE_EXP` \| `--auth-require-exp` \|.*\| `true` \|/,
    );
    assert.equal((await loadConfig({ env: { WEST_AUTH_REQUIRE_EXP: "false" } })).auth?.requireExp, false);
    assert.equal((await loadConfig({ flags: { "auth.requireExp": "0" } })).auth?.requireExp, false);
    const path = await configFile({
      auth: { jwtSecret: "a secret of at least thirty-two bytes", requireExp: false },
    });
    assert.equal((await loadConfig({ configPath: path })).auth?.requireExp, false);
    await configError(loadConfig({ env: { WEST_AUTH_REQUIRE_EXP: "no" } }), "invalid auth.requireExp");
  });

  it("auth.jwtPublicKeyFile in a config file is relative to the file; as a flag, it is taken as given", async () => {
    const path = await configFile({ auth: { jwtPublicKeyFile: "keys/public.pem", algorithms: ["ES256"] } });
    const options = await loadConfig({ configPath: path });
    assert.equal(options.auth?.jwtPublicKeyFile, join(dirname(path), "keys/public.pem"));
    assert.deepEqual(options.auth?.algorithms, ["ES256"]);
    const flagged = await loadConfig({ flags: { "auth.jwtPublicKeyFile": "keys/public.pem" } });
    assert.equal(flagged.auth?.jwtPublicKeyFile, "keys/public.pem");
  });

  it("permissions from a config file, as written", async () => {
    const permissions = {
      default: "deny",
      rules: [
        { actions: ["register", "send", "subscribe", "publish"], channels: "user.{key}.*" },
        { actions: ["subscribe", "publish"], channels: "team.{claims.team}.>", claims: { role: "member" } },
      ],
    };
    const options = await loadConfig({ configPath: await configFile({ permissions }) });
    assert.deepEqual(options.permissions, permissions);
  });

  it("channel rules from a config file, as written; a bad one names the option, the file and the rule", async () => {
    const channels = [{ match: "chat.>", history: { size: 100, ttlSeconds: 600 } }];
    const options = await loadConfig({ configPath: await configFile({ channels }) });
    assert.deepEqual(options.channels, channels);
    const path = await configFile({
      channels: [...channels, { match: "b.*", history: { size: 0, ttlSeconds: 1 } }],
    });
    await configError(
      loadConfig({ configPath: path }),
      `invalid channels (config file ${path})`,
      "channels[1].history.size must be an integer from 1 to 10000, got 0",
    );
  });

  it("bad permissions name the option, the file and the faulty rule", async () => {
    const path = await configFile({ permissions: { rules: [{ actions: ["read"], channels: "a" }] } });
    await configError(
      loadConfig({ configPath: path }),
      `invalid permissions (config file ${path})`,
      'unknown action "read" in permissions.rules[0].actions',
    );
    await configError(
      loadConfig({
        configPath: await configFile({ permissions: { rules: [{ actions: ["send"], channels: "a.>.b" }] } }),
      }),
      "bad channel pattern",
    );
  });

  it("permissions only in a config file; bad algorithms; a secret is never shown", async () => {
    await configError(loadConfig({ env: { WEST_PERMISSIONS: "{}" } }), "permissions", "config file");
    await configError(
      loadConfig({ flags: { "auth.algorithms": "HS256,none" } }),
      "invalid auth.algorithms (flag --auth-algorithms)",
      "HS256",
    );
    await configError(
      loadConfig({ configPath: await configFile({ auth: { algorithms: [] } }) }),
      "auth.algorithms",
    );
    await assert.rejects(
      loadConfig({ configPath: await configFile({ auth: { jwtSecret: 123456789 } }) }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(
          error.message.includes("auth.jwtSecret") && !error.message.includes("123456789"),
          error.message,
        );
        return true;
      },
    );
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
    await configError(loadConfig({ env: { WEST_DIST: "kafka" } }), "dist", "env WEST_DIST", "local, redis");
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
