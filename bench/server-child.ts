import { startWest } from "../src/index.js";

/** A WEST node in its own process, so the benchmark can read the server's CPU time apart from the clients'. */
const node = await startWest({ port: 0, logLevel: "silent" });
process.send?.({ port: node.port });
process.on("message", async (request: string) => {
  if (request === "cpu") {
    process.send?.({ cpu: process.cpuUsage(), rss: process.memoryUsage().rss });
  } else if (request === "stop") {
    await node.stop();
    process.exit(0);
  }
});
