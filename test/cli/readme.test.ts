import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { it } from "node:test";
import { renderConfigTable } from "../../src/config.js";

/** A markdown table's rows as trimmed cells, so column padding (the formatter's) does not matter. */
function tableRows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .map((line) =>
      line
        .slice(1, -1)
        .split(" | ")
        .map((cell) => cell.trim().replace(/^-+$/, "---")),
    );
}

it("docs/operations.md's configuration table is the one rendered from the option specs", async () => {
  const operations = await readFile(new URL("../../../docs/operations.md", import.meta.url), "utf8");
  const expected = tableRows(renderConfigTable());
  const header = JSON.stringify(expected[0]);
  const lines = operations.split("\n");
  const start = lines.findIndex(
    (line) => line.startsWith("|") && JSON.stringify(tableRows(line)[0]) === header,
  );
  assert.ok(
    start >= 0,
    `docs/operations.md has no configuration table; render it with renderConfigTable():\n\n${renderConfigTable()}`,
  );
  const end = lines.findIndex((line, i) => i > start && !line.startsWith("|"));
  const actual = tableRows(lines.slice(start, end === -1 ? undefined : end).join("\n"));
  assert.deepEqual(
    actual,
    expected,
    "docs/operations.md's configuration table differs from renderConfigTable()",
  );
});
