import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { isFileOnly, OPTION_SPECS, optionFlag } from "../../src/config.js";
import { CliProcess } from "../helpers/cli-process.js";

async function run(...args: string[]): Promise<CliProcess> {
  const west = new CliProcess(args);
  assert.equal(await west.exitCode(), 0, west.output());
  return west;
}

describe("west --version and --help", () => {
  it("--version prints the package version", async () => {
    const { version } = JSON.parse(await readFile(new URL("../../../package.json", import.meta.url), "utf8"));
    const west = await run("--version");
    assert.deepEqual(west.lines.stdout, [version]);
  });

  it("--help lists the subcommands", async () => {
    const west = await run("--help");
    await west.nextLine("stdout", /^Usage: west /);
    await west.nextLine("stdout", /^\s+start /);
    await west.nextLine("stdout", /^\s+console /);
  });

  it("start --help lists --config and a flag for every option", async () => {
    const west = await run("start", "--help");
    const help = west.lines.stdout.join("\n");
    assert.match(help, /Usage: west start/);
    assert.match(help, /--config <file>/);
    for (const spec of OPTION_SPECS) {
      if (!isFileOnly(spec)) assert.match(help, new RegExp(`--${optionFlag(spec)} [<[]`), spec.key);
    }
  });

  it("start --help shows the limits with their defaults", async () => {
    const west = await run("start", "--help");
    const help = west.lines.stdout.join(" ").replace(/\s+/g, " ");
    for (const [flag, env, fallback] of [
      ["--max-channels-per-connection", "WEST_MAX_CHANNELS_PER_CONNECTION", "default 1000"],
      ["--max-connections", "WEST_MAX_CONNECTIONS", "default 50000"],
      ["--max-commands-per-second", "WEST_MAX_COMMANDS_PER_SECOND", "default 10000"],
      ["--max-channel-bytes", "WEST_MAX_CHANNEL_BYTES", "default 256"],
      ["--max-key-bytes", "WEST_MAX_KEY_BYTES", "default 256"],
      ["--allowed-origins", "WEST_ALLOWED_ORIGINS", ""],
    ]) {
      const start = help.indexOf(`${flag} <`);
      assert.ok(start >= 0, flag);
      const entry = help.slice(start, help.indexOf(`(env ${env}`, start) + 80);
      assert.ok(entry.includes(`(env ${env}${fallback === "" ? ")" : `, ${fallback})`}`), entry);
    }
  });

  it("console --help lists its options and the commands it understands", async () => {
    const west = await run("console", "--help");
    const help = west.lines.stdout.join("\n");
    for (const part of ["Usage: west console", "--url", "--key", "--protocol", "reg CH", "pub CH MSG"]) {
      assert.ok(help.includes(part), part);
    }
  });

  for (const subcommand of ["status", "where"]) {
    it(`cluster ${subcommand} --help lists only the options that say which Redis to inspect`, async () => {
      const west = await run("cluster", subcommand, "--help");
      const flags = west.lines.stdout.flatMap((line) => /^\s+(?:-\w, )?(--[\w-]+)/.exec(line)?.[1] ?? []);
      assert.deepEqual(flags.sort(), [
        "--config",
        "--help",
        "--json",
        "--redis",
        "--redis-cluster",
        "--redis-key-prefix",
        "--redis-password",
        "--redis-tls",
        "--redis-username",
      ]);
    });
  }
});
