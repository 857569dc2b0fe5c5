// Bundles the client SDK (src/sdk) for browsers into web/client/: west-client.js (ESM, minified), which a node
// serves at /client/west-client.js, and the protobuf runtime in a chunk of its own that only `protocol: "pb"`
// loads. With --size, prints the JSON-only build's size (the entry file, gzipped) and fails over the budget.
// Usage: node scripts/bundle-client.mjs [--outdir DIR] [--size]
import { readFile, rm } from "node:fs/promises";
import { parseArgs } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

/** The JSON-only browser build, minified and gzipped, at most (issue budget: 10 KB). */
const BUDGET_BYTES = 10 * 1024;

const { values } = parseArgs({ options: { outdir: { type: "string" }, size: { type: "boolean" } } });
const outdir = values.outdir ?? new URL("../web/client", import.meta.url).pathname;
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: { "west-client": new URL("../src/sdk/index.ts", import.meta.url).pathname },
  bundle: true,
  format: "esm",
  splitting: true,
  minify: true,
  target: "es2022",
  platform: "browser",
  outdir,
  chunkNames: "chunks/[name]-[hash]",
  legalComments: "none",
  logLevel: "warning",
});

if (values.size) {
  const code = await readFile(`${outdir}/west-client.js`);
  const gzipped = gzipSync(code, { level: 9 }).length;
  const line = {
    file: "west-client.js",
    minifiedBytes: code.length,
    gzippedBytes: gzipped,
    budgetBytes: BUDGET_BYTES,
  };
  console.log(JSON.stringify(line));
  if (gzipped > BUDGET_BYTES) {
    console.error(`west-client.js is ${gzipped} bytes gzipped, over the budget of ${BUDGET_BYTES}`);
    process.exitCode = 1;
  }
}
