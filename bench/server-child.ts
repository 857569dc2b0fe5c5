import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import type { RunningBaseline } from "./baselines/ws-forwarder.js";

/**
 * A benchmarked Node server in its own process, so that its CPU time and memory can be read apart from the
 * load generator's: `node server-child.js west|ws-forwarder|socketio [options as JSON]` (WEST's options, or
 * Socket.IO's adapter, see bench/baselines/socketio-server.ts). It reports
 * `{ port }` once listening and stops on the message "stop" (or when its parent goes away). With
 * WEST_BENCH_PROFILE set, the messages `{ profile: "start" }` and `{ profile: "stop", file }` take a CPU profile
 * of one measured phase.
 */
async function start(system: string | undefined): Promise<RunningBaseline> {
  // Options beyond the defaults, as JSON in the next argument (e.g. the slow-consumer scenario's limits).
  const options = JSON.parse(process.argv[3] ?? "{}");
  switch (system) {
    case "west": {
      const { startWest } = await import("../src/index.js");
      const node = await startWest({ port: 0, host: "127.0.0.1", logLevel: "silent", ...options });
      return { port: node.port as number, stop: () => node.stop() };
    }
    case "ws-forwarder":
      return (await import("./baselines/ws-forwarder.js")).startWsForwarder(options);
    case "socketio":
      return (await import("./baselines/socketio-server.js")).startSocketIoServer(options);
    default:
      throw new Error(`unknown system ${system}`);
  }
}

const profiler = new Session();
// WEST_BENCH_LIFE_PROFILE=DIR: a CPU profile of this server's whole life, DIR/<system>-<pid>.cpuprofile (for
// scenarios without profiled phases, such as the cross-node section's, whose nodes are separate processes).
const lifeProfileDir = process.env.WEST_BENCH_LIFE_PROFILE;
if (lifeProfileDir !== undefined && lifeProfileDir !== "") await profile({ profile: "start" });
const server = await start(process.argv[2]);
const stop = async () => {
  await server.stop();
  if (lifeProfileDir !== undefined && lifeProfileDir !== "")
    await profile({
      profile: "stop",
      file: join(lifeProfileDir, `${process.argv[2]}-${process.pid}.cpuprofile`),
    });
  process.exit(0);
};
process.on("message", (request: unknown) => {
  if (request === "stop") void stop();
  else if (isProfileRequest(request)) void profile(request).then(() => process.send?.({ profiled: true }));
});
process.on("disconnect", () => void stop());
process.send?.({ port: server.port });

type ProfileRequest = { profile: "start" } | { profile: "stop"; file: string };

function isProfileRequest(request: unknown): request is ProfileRequest {
  return typeof request === "object" && request !== null && "profile" in request;
}

async function profile(request: ProfileRequest): Promise<void> {
  if (request.profile === "start") {
    profiler.connect();
    await profiler.post("Profiler.enable");
    await profiler.post("Profiler.start");
    return;
  }
  const { profile } = await profiler.post("Profiler.stop");
  profiler.disconnect();
  writeFileSync(request.file, JSON.stringify(profile));
}
