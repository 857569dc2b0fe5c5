// A chat on WEST-TS: rooms with history, presence and join/leave, in a page that uses the client SDK.
// Run it with `npm run example:chat` in the repository (or `node server.mjs` where west-ts is installed), then
// open http://127.0.0.1:3000 in two browser windows. CHAT_PORT and WEST_PORT choose the ports (0: any free one).
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { startWest } from "west-ts";

const here = dirname(fileURLToPath(import.meta.url));
/** The SDK's browser build, from the installed package. */
const sdkDir = join(dirname(createRequire(import.meta.url).resolve("west-ts/package.json")), "web", "client");
const host = "127.0.0.1";

const pages = createServer(async (request, response) => {
  const path = new URL(request.url ?? "/", "http://x").pathname;
  const file =
    path === "/"
      ? join(here, "index.html")
      : path === "/app.js"
        ? join(here, "app.js")
        : path.startsWith("/sdk/")
          ? join(sdkDir, normalize(path.slice(5)).replace(/^(\.\.[/\\])+/, ""))
          : undefined;
  try {
    if (file === undefined) throw new Error("not found");
    const body = await readFile(file);
    const type = extname(file) === ".html" ? "text/html" : "text/javascript";
    response.writeHead(200, { "content-type": `${type}; charset=utf-8`, "cache-control": "no-cache" });
    response.end(body);
  } catch {
    response.writeHead(404).end("not found\n");
  }
});
await new Promise((resolve) => pages.listen(Number(process.env.CHAT_PORT ?? 3000), host, resolve));
const pageOrigin = `http://${host}:${pages.address().port}`;

const node = await startWest({
  host,
  port: Number(process.env.WEST_PORT ?? 8080),
  logLevel: "warn",
  // The page is on another port, so another origin: the node must allow it.
  allowedOrigins: [pageOrigin, pageOrigin.replace(host, "localhost")],
  channels: [{ match: "room.*", history: { size: 50, ttlSeconds: 3600 }, presence: true, joinLeave: true }],
});
const westUrl = node.url.replace(/^http/, "ws");
console.log(JSON.stringify({ chat: `${pageOrigin}/?west=${encodeURIComponent(westUrl)}`, west: westUrl }));

const stop = async () => {
  pages.close();
  await node.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
