import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, sep } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  anchorsOf,
  commentOf,
  linkProblem,
  markdownProblems,
  readRepository,
  slug,
  sourceProblems,
  targetsOf,
} from "./link-checker.js";

/** The repository; this file runs from build/test/docs/. */
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** This file: its fixtures name missing files and sites on purpose. */
const FIXTURES = join(ROOT, "test", "docs", "links.test.ts");

describe("nothing in the repository points outside it", () => {
  const repo = readRepository(ROOT);
  const names = (paths: string[]) => paths.map((path) => relative(ROOT, path));

  it("checks README.md, docs/ and every other markdown file but the generated benchmark reports", () => {
    const markdown = names(repo.markdown);
    for (const expected of ["README.md", join("docs", "protocol.md"), join("bench", "chaos", "README.md")])
      assert.ok(markdown.includes(expected), `${expected} not found among ${markdown.join(", ")}`);
    assert.deepEqual(
      markdown.filter((name) => name.startsWith(`bench${sep}results`)),
      [],
    );
  });

  for (const path of repo.markdown) {
    it(`${relative(ROOT, path)}: every link and image names a file, folder or heading of the repository`, () => {
      assert.deepEqual(markdownProblems(repo, path), []);
    });
  }

  it("no source file (src, web, test, bench) names a file outside the repository or one it does not have", () => {
    assert.ok(names(repo.sources).includes(join("src", "core", "message.ts")));
    assert.ok(names(repo.sources).includes(join("web", "app.js")));
    assert.deepEqual(
      repo.sources.filter((path) => path !== FIXTURES).flatMap((path) => sourceProblems(repo, path)),
      [],
    );
  });
});

/** Writes `files` (path from `folder`: content) under `folder`. */
function write(folder: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(folder, path)), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
}

describe("the checker, on a repository of fixtures beside a folder of the team's notes", () => {
  const outside = mkdtempSync(join(tmpdir(), "west-links-"));
  after(() => rmSync(outside, { recursive: true, force: true }));
  const root = join(outside, "repo");
  write(outside, {
    "team-notes/CONTRACT.md": "# Protocol\n\n## Names\n",
    "team-notes/GUIDELINES.md": "# Style\n",
  });
  write(root, {
    "README.md": "# Fixture\n\n## Getting started\n",
    "docs/guide.md": [
      "# Guide",
      "## Names",
      "## Names",
      "## `west console`: talk to a node",
      "## Closed ##",
      "```sh",
      "# not a heading",
      "```",
      '<a id="custom"></a>',
    ].join("\n\n"),
    "docs/images/shot.png": "",
    "src/core/names.ts": "export {};\n",
    "src/protocols/json.ts": "export {};\n",
    "web/app.js": "",
    "bench/results/latest.md": "# Latest\n\n[elsewhere](https://github.com/)\n",
    "node_modules/pkg/CHANGELOG.md": "# Changes\n",
    "build/src/core/names.js": "",
  });
  const repo = readRepository(root);
  const readme = join(root, "README.md");
  const names = join(root, "src", "core", "names.ts");

  it("walks the repository: installed and built folders are not in it, the reports are not checked", () => {
    const sorted = (paths: string[]) => paths.map((path) => relative(root, path)).sort();
    assert.deepEqual(sorted(repo.markdown), ["README.md", join("docs", "guide.md")]);
    assert.deepEqual(sorted(repo.sources), [
      join("src", "core", "names.ts"),
      join("src", "protocols", "json.ts"),
      join("web", "app.js"),
    ]);
    assert.deepEqual([...repo.markdownNames].sort(), ["README.md", "guide.md", "latest.md"]);
  });

  it("a link inside: a file, a folder, a heading by GitHub's anchor, a line of a source, the reader's own node", () => {
    for (const target of [
      "docs/guide.md",
      "docs",
      "docs/",
      "/docs/guide.md",
      "./docs/images/shot.png",
      "docs/guide.md#names",
      "docs/guide.md#names-1",
      "docs/guide.md#west-console-talk-to-a-node",
      "docs/guide.md#closed",
      "docs/guide.md#custom",
      "docs/guide%2Emd",
      "#getting-started",
      "#",
      "src/core/names.ts#L1",
      "bench/results/latest.md",
      "http://127.0.0.1:8080/healthz",
      "http://localhost:9090/metrics",
      "http://[::1]:8080",
      "https://app.example.com/page",
      "http://HOST:PORT/metrics",
      "http://www.apache.org/licenses/LICENSE-2.0",
    ])
      assert.equal(linkProblem(repo, target, readme), undefined, target);
  });

  it("a link outside or to nothing: the team's notes, built or installed files, missing files and headings, sites", () => {
    const cases: [string, string][] = [
      ["", "empty link"],
      ["../team-notes/CONTRACT.md", "leaves the repository"],
      ["/../team-notes/CONTRACT.md", "leaves the repository"],
      [`${outside}/team-notes/CONTRACT.md`, "no such file or folder"],
      ["CONTRACT.md", "no such file or folder"],
      ["docs/images/missing.png", "no such file or folder"],
      ["build/src/core/names.js", "points into a folder that is not part of the repository"],
      ["node_modules/pkg/CHANGELOG.md", "points into a folder that is not part of the repository"],
      ["docs/guide.md#names-2", "no heading #names-2 in docs/guide.md"],
      ["docs/guide.md#not-a-heading", "no heading #not-a-heading in docs/guide.md"],
      ["docs/guide.md#Names", "no heading #Names in docs/guide.md"],
      ["#nothing", "no heading #nothing in README.md"],
      ["docs#names", "an anchor on a folder"],
      ["docs/images/shot.png#top", "an anchor on a file without headings"],
      ["docs/%E0%A4%A", "not valid percent-encoding"],
      ["https://github.com/west-ts/west-ts", "leaves the repository"],
      ["http://127.0.0.1.nip.io/", "leaves the repository"],
      ["www.npmjs.com/package/west-ts", "leaves the repository"],
      ["//cdn.example.org.evil.com/x.js", "leaves the repository"],
      ["mailto:someone@example.com", "leaves the repository"],
      ["ftp://localhost/file", "leaves the repository"],
      ["https://www.apache.org/licenses/", "leaves the repository"],
    ];
    for (const [target, problem] of cases) assert.equal(linkProblem(repo, target, readme), problem, target);
  });

  it("finds links, images, references, HTML and bare URLs, not code or comments", () => {
    const markdown = [
      "[a](one) ![b](two.png 'title') `[c](three)` [d](<four five.md>)",
      "see https://nodejs.org, and <https://example.com/x>.",
      "```",
      "[e](six) http://seven.org",
      "```",
      "<!-- [f](eight) -->",
      '[g]: nine "title"',
      '<img src="ten.png" srcset="eleven.png 1x, twelve.png 2x"> <a href="thirteen">x</a>',
    ].join("\n");
    assert.deepEqual(
      targetsOf(markdown).map(({ target, line }) => `${line} ${target}`),
      [
        "1 one",
        "1 two.png",
        "1 four five.md",
        "7 nine",
        "8 ten.png",
        "8 eleven.png",
        "8 twelve.png",
        "8 thirteen",
        "2 https://nodejs.org",
        "2 https://example.com/x",
      ],
    );
  });

  it("anchors as GitHub makes them", () => {
    assert.equal(slug("`west console`: talk to a node"), "west-console-talk-to-a-node");
    assert.equal(slug("Running a node: `west start`"), "running-a-node-west-start");
    assert.equal(slug("The distribution seam: A/B"), "the-distribution-seam-ab");
    assert.equal(slug("Planned (not available)"), "planned-not-available");
    assert.equal(slug("Limits &amp; *emphasis* [a link](x.md)"), "limits--emphasis-a-link");
    assert.equal(slug("`snake_case` and _emphasis_ in `_code_`"), "snake_case-and-emphasis-in-_code_");
    assert.equal(slug("Ünïcode 2.0"), "ünïcode-20");
    assert.deepEqual(
      [...anchorsOf("# A\n\n## A\n\n~~~\n## B\n~~~\n\n<!--\n## C\n-->\n\n#Not\n\n<span id='d'></span>")],
      ["a", "a-1", "d"],
    );
  });

  it("a markdown file: every link and image, and every markdown file or path it names, in code too", () => {
    const markdown = [
      "# Fixture",
      "See [the guide](docs/guide.md#names), [the top](#fixture) and http://127.0.0.1:8080.",
      "The [team's protocol](../team-notes/CONTRACT.md) and ![a screenshot](docs/images/missing.png).",
      "Cited bare: CONTRACT.md, PLAN.md and GUIDELINES.md; guide.md and latest.md are the repository's.",
      "`../../team-notes/CONTRACT.md` counts in code too; `{mode}-latest.md` is a template.",
      'Sections: docs/guide.md, "Names" and docs/guide.md\'s "Commands".',
      '<img src="docs/images/shot.png" alt="x"> <a href="https://github.com/west">elsewhere</a>',
      `From ${outside}${sep}team-notes: notes.`,
      `Not a path outside: https://app.example.com${outside}${sep}team-notes.`,
    ].join("\n");
    assert.deepEqual(markdownProblems(repo, readme, markdown), [
      "README.md:3: ../team-notes/CONTRACT.md: leaves the repository",
      "README.md:3: docs/images/missing.png: no such file or folder",
      "README.md:7: https://github.com/west: leaves the repository",
      "README.md:3: ../team-notes/CONTRACT.md: no such file in the repository",
      "README.md:4: CONTRACT.md: no such file in the repository",
      "README.md:4: PLAN.md: no such file in the repository",
      "README.md:4: GUIDELINES.md: no such file in the repository",
      "README.md:5: ../../team-notes/CONTRACT.md: no such file in the repository",
      `README.md:6: docs/guide.md's "Commands": no heading #commands in docs/guide.md`,
      `README.md:8: names ${outside}${sep}, outside the repository`,
    ]);
  });

  it("a source file: markdown files it names anywhere, and paths and sites in its comments", () => {
    const source = [
      '/** Names as in docs/guide.md, "Names" (CONTRACT.md, "Names"); docs/guide.md#custom. */',
      "// see ../protocols/json.js and ./names.ts, not ../../../team-notes/GUIDELINES.md or ../elsewhere/notes.txt",
      'export const about = "as CONTRACT.md\'s list says"; // https://github.com/west, http://127.0.0.1:8080/',
      'const url = "http://" + host + "/../x"; // ../../docs/guide.md#names-2 and ../../docs/guide.md#names-1',
      "<!-- PLAN.md -->",
      `/* ${outside}${sep}team-notes */`,
    ].join("\n");
    assert.deepEqual(sourceProblems(repo, names, source), [
      'src/core/names.ts:1: CONTRACT.md, "Names": no such file in the repository',
      "src/core/names.ts:2: ../../../team-notes/GUIDELINES.md: no such file in the repository",
      "src/core/names.ts:3: CONTRACT.md: no such file in the repository",
      "src/core/names.ts:4: ../../docs/guide.md#names-2: no heading #names-2 in docs/guide.md",
      "src/core/names.ts:5: PLAN.md: no such file in the repository",
      `src/core/names.ts:6: names ${outside}${sep}, outside the repository`,
      "src/core/names.ts:2: ../../../team-notes/GUIDELINES.md: leaves the repository",
      "src/core/names.ts:2: ../elsewhere/notes.txt: no such file or folder",
      "src/core/names.ts:3: https://github.com/west: leaves the repository",
    ]);
  });

  it("the comment of a source line", () => {
    assert.equal(commentOf("  return x; // see ../core"), "// see ../core");
    assert.equal(commentOf(" * continued ../core"), "* continued ../core");
    assert.equal(commentOf("<!-- a note -->"), "<!-- a note -->");
    assert.equal(commentOf('const url = "http://" + host;'), undefined);
  });
});
