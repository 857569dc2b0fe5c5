#!/usr/bin/env node
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { ConfigError } from "../config.js";
import { packagePath } from "../package-root.js";
import { defineClusterCommand } from "./cluster.js";
import { defineConsoleCommand } from "./console.js";
import { defineDevrelCommand } from "./devrel.js";
import { defineStartCommand } from "./start.js";

/** Usage errors (bad flags, bad config values) exit 2; other failures exit 1. */
const USAGE_ERROR = 2;

const program = new Command("west")
  .description("WEST-TS: real-time point-to-point and pub/sub messaging over WebSockets")
  .version(packageVersion(), "-v, --version")
  .showHelpAfterError("(add --help for usage)")
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : USAGE_ERROR));
defineStartCommand(program);
defineConsoleCommand(program);
defineDevrelCommand(program);
defineClusterCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  console.error(`west: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof ConfigError ? USAGE_ERROR : 1);
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(packagePath("package.json"), "utf8")) as { version: string }).version;
}
