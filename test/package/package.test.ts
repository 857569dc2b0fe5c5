/**
 * The package as npm ships it: `npm pack` holds only what runs, and the package installed into an empty project,
 * from the tarball or from git, embeds a node, runs `west` and serves the web client. Dependencies come from the
 * npm cache or the registry.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const TSC = join(REPO, "node_modules", "typescript", "bin", "tsc");
const { version: VERSION } = JSON.parse(await readFile(join(REPO, "package.json"), "utf8")) as {
  version: string;
};

/** What `files` ships besides the build of src (dist/), the web client (web/) and the docs' text (docs/*.md). */
const SHIPPED_FILES = new Set(["package.json", "README.md", "LICENSE", "src/protocols/message.proto"]);
const SHIPPED_FOLDERS = ["dist/", "web/"];
const isShippedDoc = (path: string) => /^docs\/[^/]+\.md$/.test(path);

/** The README's embedding example, asserting what its comments say. */
const EXAMPLE = `import assert from "node:assert/strict";
import { startWest } from "west-ts";

const node = await startWest({ port: false });
const received = [];
const u1 = node.client("u1", (m) => received.push(m));
const u2 = node.client("u2");
assert.equal((await u1.reg("r1")).event, "registration_succeeded");
assert.equal((await u2.send("r1", "hi")).event, "sending_succeeded");
const [m] = received;
assert.deepEqual({ event: m.event, from: m.from, channel: m.channel, data: m.data },
  { event: "new_message", from: "u2", channel: "r1", data: "hi" });
await u1.close();
await node.stop();
console.log("delivered");
`;

/** A TypeScript user of the package: the types resolve, and are not \`any\`. */
const CONSUMER = `import { startWest, type WestNode } from "west-ts";
import { WestClient, type WestMessage } from "west-ts/client";

// @ts-expect-error port is a number or false
export const wrong = () => startWest({ port: "8080" });
export const node: Promise<WestNode> = startWest({ port: false });
// @ts-expect-error the SDK speaks json or pb
export const wrongClient = () => new WestClient("ws://127.0.0.1:1", { protocol: "text" });
export const client = new WestClient("ws://127.0.0.1:1", { key: "k" });
export const subscribe = () => client.subscribe("c", (m: WestMessage) => m.from.length);
`;

/** The client SDK from the installed package, in Node with the ws package, against a node of its own. */
const SDK_EXAMPLE = `import WebSocket from "ws";
import { startWest } from "west-ts";
import { WestClient } from "west-ts/client";

const node = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent" });
const url = node.url.replace(/^http/, "ws");
const client = new WestClient(url, { key: "sdk", WebSocket, protocol: "pb" });
await client.connect();
const received = new Promise((resolve) => client.subscribe("news", (m) => resolve(m)));
await client.publish("news", "hello");
const m = await received;
console.log(m.from, new TextDecoder().decode(m.data));
client.close();
await node.stop();
`;

interface PackResult {
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

describe("the npm package", () => {
  let temp: string;
  let pack: PackResult;
  let app: string;

  before(async () => {
    temp = await mkdtemp(join(tmpdir(), "west-package-"));
    // prepare builds dist/ first, as for a publish
    const [result] = JSON.parse(await run("npm", ["pack", "--json", "--pack-destination", temp], REPO)) as [
      PackResult & { filename: string },
    ];
    pack = result;
    app = await emptyProject(temp, "tarball-app");
    await npmInstall(join(temp, result.filename), app);
  });
  after(() => rm(temp, { recursive: true, force: true }));

  it("npm pack ships the build of src, web/ (with the SDK's browser build), docs/*.md, message.proto, README.md and LICENSE, nothing else", (t) => {
    const paths = pack.files.map((file) => file.path);
    const extra = paths.filter(
      (path) =>
        !SHIPPED_FILES.has(path) &&
        !isShippedDoc(path) &&
        !SHIPPED_FOLDERS.some((folder) => path.startsWith(folder)),
    );
    assert.deepEqual(extra, [], "files outside the package layout");
    assert.deepEqual(
      paths.filter((path) => /(^|\/)(test|bench|results)\/|\.map$|\.test\./.test(path)),
      [],
      "tests, benchmarks, results or source maps",
    );
    for (const path of [
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "dist/sdk/index.js",
      "dist/sdk/index.d.ts",
      "web/index.html",
      "web/client/west-client.js",
      "LICENSE",
    ])
      assert.ok(paths.includes(path), `${path} is missing`);
    assert.ok(paths.includes("docs/protocol.md") || !existsSync(join(REPO, "docs", "protocol.md")), "docs");
    t.diagnostic(`${pack.entryCount} files, ${pack.size} B packed, ${pack.unpackedSize} B unpacked`);
  });

  it("installed from the tarball, the README's embedding example delivers a send", async () => {
    await runExample(app);
  });

  it("installed from the tarball, the client SDK (west-ts/client) talks to a node", async () => {
    await writeFile(join(app, "sdk.mjs"), SDK_EXAMPLE);
    assert.equal((await run(process.execPath, ["sdk.mjs"], app)).trim(), "sdk hello");
  });

  it("installed from the tarball, its types resolve for a TypeScript user", async () => {
    await writeFile(join(app, "consumer.mts"), CONSUMER);
    const tsconfig = {
      compilerOptions: {
        module: "NodeNext",
        target: "ES2022",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
        typeRoots: [join(REPO, "node_modules", "@types")],
      },
      files: ["consumer.mts"],
    };
    await writeFile(join(app, "tsconfig.json"), JSON.stringify(tsconfig));
    await run(process.execPath, [TSC, "-p", "tsconfig.json"], app);
  });

  it("its JavaScript is built without comments, its declarations keep their documentation", async () => {
    const dist = join(app, "node_modules", "west-ts", "dist");
    assert.doesNotMatch(await readFile(join(dist, "options.js"), "utf8"), /\/\*\*/);
    assert.match(await readFile(join(dist, "options.d.ts"), "utf8"), /\/\*\*/);
    assert.match(await readFile(join(dist, "cli", "main.js"), "utf8"), /^#!\/usr\/bin\/env node\n/);
  });

  it("npx west --version prints the package's version", async () => {
    assert.equal((await run("npx", ["west", "--version"], app)).trim(), VERSION);
  });

  it("npx west start serves the web client at / and /healthz, and stops on SIGTERM", async () => {
    const west = new Npx(["west", "start", "--port", "0"], app);
    try {
      const { port } = JSON.parse(await west.line('"msg":"listening"')) as { port: number };
      const page = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<html/i);
      const proto = await fetch(`http://127.0.0.1:${port}/vendor/message.proto`);
      assert.equal(proto.status, 200, "the web client's message.proto");
      await proto.body?.cancel();
      const bundle = await fetch(`http://127.0.0.1:${port}/client/west-client.js`);
      assert.equal(bundle.status, 200, "the SDK's browser build");
      assert.match(bundle.headers.get("content-type") ?? "", /javascript/);
      assert.match(await bundle.text(), /WestClient/);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(health.status, 200);
      await health.body?.cancel();
      west.signal("SIGTERM");
      await west.line('"msg":"stopped"');
      await west.closed;
    } finally {
      west.kill();
    }
  });

  it("installed from git, prepare builds the package and the example runs", {
    skip: !existsSync(join(REPO, ".git")) && "not a git checkout",
  }, async (t: TestContext) => {
    t.diagnostic("the committed HEAD, not the working tree");
    const gitApp = await emptyProject(temp, "git-app");
    await npmInstall(`git+${pathToFileURL(REPO).href.replace(/\/$/, "")}`, gitApp);
    assert.ok(existsSync(join(gitApp, "node_modules", "west-ts", "dist", "index.js")), "no build");
    await runExample(gitApp);
    assert.equal((await run("npx", ["west", "--version"], gitApp)).trim(), VERSION);
  });
});

/** `npm init -y`, allowing west-ts's install scripts (its prepare, for a git install). */
async function emptyProject(temp: string, name: string): Promise<string> {
  const dir = join(temp, name);
  await mkdir(dir);
  await run("npm", ["init", "-y"], dir);
  const manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
  manifest.allowScripts = { "west-ts": true };
  await writeFile(join(dir, "package.json"), JSON.stringify(manifest, null, 2));
  return dir;
}

/** allow-git: npm 12 fetches no git dependency unless told to (npm 11's default is all). */
async function npmInstall(spec: string, dir: string): Promise<void> {
  await run("npm", ["install", spec, "--no-audit", "--no-fund", "--prefer-offline", "--allow-git=all"], dir);
}

async function runExample(dir: string): Promise<void> {
  await writeFile(join(dir, "example.mjs"), EXAMPLE);
  assert.equal((await run(process.execPath, ["example.mjs"], dir)).trim(), "delivered");
}

/** The test's environment without WEST_* and without what `npm test` says about this repository's package. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(WEST_|npm_package_|npm_lifecycle_)/.test(name)),
  );
}

/** Runs a command to its end (5 minutes at most); its stdout, or an error with both streams. */
async function run(command: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(command, args, {
      cwd,
      env: childEnv(),
      maxBuffer: 16 * 1024 * 1024,
      timeout: 300_000,
    });
    return stdout;
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}\n${stdout ?? ""}\n${stderr ?? ""}`, {
      cause: error,
    });
  }
}

/**
 * `npx ...` in its own process group: npm exec does not pass signals on to the command it runs, so a signal goes
 * to the whole group (npm, the shell and the command).
 */
class Npx {
  readonly closed: Promise<void>;
  private readonly child: ChildProcess;
  private output = "";
  private ended = false;
  private waiting: (() => void) | undefined;

  constructor(args: string[], cwd: string) {
    this.child = spawn("npx", args, {
      cwd,
      env: childEnv(),
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream?.setEncoding("utf8").on("data", (chunk: string) => {
        this.output += chunk;
        this.waiting?.();
      });
    }
    this.closed = new Promise((resolve) =>
      this.child.on("close", () => {
        this.ended = true;
        this.waiting?.();
        resolve();
      }),
    );
  }

  /** The first output line holding `text`, waiting up to 20 s for it (or until the output ends). */
  async line(text: string): Promise<string> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = this.output.split("\n").find((line) => line.includes(text));
      if (found !== undefined) return found;
      if (this.ended || Date.now() > deadline) throw new Error(`no line with ${text}:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  signal(signal: NodeJS.Signals): void {
    process.kill(-(this.child.pid as number), signal);
  }

  /** Kills the whole group if anything of it is left. */
  kill(): void {
    try {
      process.kill(-(this.child.pid as number), "SIGKILL");
    } catch {
      // the group has exited
    }
  }
}
