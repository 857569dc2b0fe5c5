import { constants } from "node:os";
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { createLogger, type Logger } from "../log.js";
import type { WestOptions } from "../options.js";
import { startWest, type WestNode } from "../west.js";
import { addConfigFlags } from "./config-flags.js";

/** `west start`: runs a node in the foreground until SIGINT or SIGTERM; SIGHUP reloads its TLS files. */
export function defineStartCommand(program: Command): void {
  const command = program
    .command("start")
    .description("run a WEST node in the foreground (Ctrl-C or SIGTERM stops it gracefully)");
  const readFlags = addConfigFlags(command);
  command.addHelpText(
    "after",
    "\nPrecedence: defaults < config file < WEST_* environment variables < flags.\n" +
      "The handshake hook and the permission rules can only be set in a config file (keys handshake, permissions).",
  );
  command.action(async () => {
    const { flags, configPath } = readFlags();
    await runNode(await loadConfig({ flags, configPath, env: process.env }));
  });
}

async function runNode(options: WestOptions): Promise<void> {
  const logger = createLogger(options.logLevel);
  const starting = startWest({ ...options, logger });
  stopOnSignals(starting, logger);
  const node = await starting;
  reloadOnHangup(node, logger);
  // The one line printed whatever the log level (also warn or silent): the node is up, and where.
  logger
    .child({}, { level: "info" })
    .info({ url: node.url }, `west node running at ${node.url ?? "embedded, no HTTP"}`);
}

/** SIGHUP re-reads the TLS certificate and key (a renewal); a failure is logged and the old ones stay. */
function reloadOnHangup(node: WestNode, logger: Logger): void {
  process.on("SIGHUP", () => {
    node.reloadCertificates().catch((error: unknown) => {
      logger.error({ err: error }, "TLS certificate not reloaded: the old one stays");
    });
  });
}

/**
 * Signals within this long of the first are that same request, not a second one: a terminal's Ctrl-C reaches both
 * `npm start` and the node, and npm forwards it to the node; systemd signals every process of the unit.
 */
const SAME_REQUEST_MS = 1000;

/**
 * The first signal stops the node gracefully (sockets closed with 1001) and exits 0, also when it comes
 * while the node is starting; one SAME_REQUEST_MS or more later exits at once.
 */
function stopOnSignals(starting: Promise<WestNode>, logger: Logger): void {
  let stoppingSince: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (performance.now() - stoppingSince < SAME_REQUEST_MS) {
        logger.info(
          { signal },
          "already stopping (a signal within a second of the first counts as the same)",
        );
        return;
      }
      logger.warn({ signal }, "second signal: exiting without waiting");
      process.exit(128 + constants.signals[signal]);
    }
    stoppingSince = performance.now();
    logger.info({ signal }, "stopping");
    starting
      .then((node) => node.stop())
      .then(
        () => {
          logger.info("stopped");
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, "stop failed");
          process.exit(1);
        },
      );
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}
