import type { RunningBaseline } from "./baselines/ws-forwarder.js";

/**
 * A benchmarked Node server in its own process, so that its CPU time and memory can be read apart from the
 * load generator's: `node server-child.js west|ws-forwarder|socketio [WEST options as JSON]`. It reports `{ port }` once listening
 * and stops on the message "stop" (or when its parent goes away).
 */
async function start(system: string | undefined): Promise<RunningBaseline> {
  switch (system) {
    case "west": {
      const { startWest } = await import("../src/index.js");
      // Options beyond the defaults, as JSON in the next argument (e.g. the slow-consumer scenario's limits).
      const options = JSON.parse(process.argv[3] ?? "{}");
      const node = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent", ...options });
      return { port: node.port as number, stop: () => node.stop() };
    }
    case "ws-forwarder":
      return (await import("./baselines/ws-forwarder.js")).startWsForwarder();
    case "socketio":
      return (await import("./baselines/socketio-server.js")).startSocketIoServer();
    default:
      throw new Error(`unknown system ${system}`);
  }
}

const server = await start(process.argv[2]);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("message", (request) => {
  if (request === "stop") void stop();
});
process.on("disconnect", () => void stop());
process.send?.({ port: server.port });
