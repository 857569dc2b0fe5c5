import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";

/**
 * What keeps the repository's pointers inside it: the markdown files' links and images must name a file, a folder
 * or a heading of the repository, and no file may send its reader to a file the repository does not have.
 */

/** Folders that are not part of the repository, wherever they are: installed, built (also `build-*`), git's own. */
const NOT_IN_REPOSITORY = ["node_modules", "build", "dist", ".git"];
/** Generated benchmark reports: links may name them, but they are not documentation to check. */
const GENERATED = join("bench", "results");
const SOURCE_FOLDERS = ["src", "web", "test", "bench"];
const SOURCE_EXTENSIONS = new Set([".ts", ".js", ".mjs", ".cjs", ".html", ".css", ".proto"]);

/**
 * The one address outside that a file may name: the Apache License, in the notice that a file under it must keep
 * word for word (src/protocols/message.proto, from the original WEST).
 */
const LICENSE_NOTICES = new Set(["http://www.apache.org/licenses/LICENSE-2.0"]);

export interface Repository {
  /** The repository's folder, absolute. */
  root: string;
  /** The markdown files to check: every one of the repository but the generated reports. */
  markdown: string[];
  /** The source files of src/, web/, test/ and bench/. */
  sources: string[];
  /** The name of every markdown file of the repository, reports included: what a text may name bare. */
  markdownNames: Set<string>;
  /** The anchors of each markdown file read so far. */
  anchors: Map<string, Set<string>>;
}

const notInRepository = (name: string) => NOT_IN_REPOSITORY.includes(name) || name.startsWith("build-");

function walk(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (notInRepository(entry.name)) return [];
    if (entry.isDirectory()) return walk(path);
    return entry.isFile() ? [path] : [];
  });
}

const isMarkdown = (path: string) => extname(path).toLowerCase() === ".md";

/** The repository at `root`, with its markdown and source files. */
export function readRepository(folder: string): Repository {
  const root = resolve(folder);
  const files = walk(root);
  const inRepo = (path: string) => relative(root, path);
  const generated = (path: string) => inRepo(path).startsWith(`${GENERATED}${sep}`);
  return {
    root,
    markdown: files.filter((path) => isMarkdown(path) && !generated(path)),
    sources: files.filter(
      (path) =>
        SOURCE_FOLDERS.includes(inRepo(path).split(sep)[0] as string) && SOURCE_EXTENSIONS.has(extname(path)),
    ),
    markdownNames: new Set(files.filter(isMarkdown).map((path) => basename(path))),
    anchors: new Map(),
  };
}

function isInside(repo: Repository, file: string): boolean {
  const path = relative(repo.root, file);
  return !isAbsolute(path) && path.split(sep)[0] !== "..";
}

/** Why `file` (absolute) is not a file or folder of the repository; undefined when it is. */
function whyNotInRepository(repo: Repository, file: string): string | undefined {
  if (!isInside(repo, file)) return "leaves the repository";
  if (relative(repo.root, file).split(sep).some(notInRepository))
    return "points into a folder that is not part of the repository";
  return existsSync(file) ? undefined : "no such file or folder";
}

/**
 * Hosts an absolute URL may name without leaving the repository: the reader's own machine (a node they run),
 * names reserved for examples (RFC 2606, RFC 6761), and placeholders without a dot (`http://HOST:PORT`).
 */
export function isHomeHost(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[|\]$/g, "");
  if (["localhost", "::1", "0.0.0.0"].includes(name) || /^127(\.\d+){3}$/.test(name)) return true;
  if (!name.includes(".") && !name.includes(":")) return name !== "";
  return /(^|\.)(example\.(com|org|net)|example|test|invalid|localhost)$/.test(name);
}

/** The host of an absolute URL, also of a placeholder that is no valid URL (`http://HOST:PORT`). */
function hostOf(url: string): string {
  const authority = url.replace(/^[a-z][a-z0-9+.-]*:/i, "").replace(/^\/\//, "");
  const host = authority.replace(/[/?#].*$/s, "").replace(/^.*@/, "");
  return host.startsWith("[") ? host.replace(/\].*$/, "]") : host.replace(/:.*$/, "");
}

/** `markdown` with fenced code blocks, inline code and HTML comments blanked out (line numbers kept). */
export function proseOf(markdown: string): string {
  const blank = (text: string) => text.replace(/[^\n]/g, " ");
  let fence: string | undefined;
  const lines = markdown.split("\n").map((line) => {
    const opening = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined) {
      if (opening === undefined) return line;
      fence = opening;
      return blank(line);
    }
    if (
      opening !== undefined &&
      opening[0] === fence[0] &&
      opening.length >= fence.length &&
      line.trim() === opening
    )
      fence = undefined;
    return blank(line);
  });
  return lines
    .join("\n")
    .replace(/<!--[\s\S]*?-->/g, blank)
    .replace(/(`+)(?!`)[\s\S]*?(?<!`)\1(?!`)/g, blank);
}

/** A heading's text as rendered, outside code spans: no images, links as their text, no tags, entities or emphasis. */
function renderedText(markdown: string): string {
  return markdown
    .replace(/!\[[^\]]*\]\([^)]*\)/g, "")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>|&(?:[a-z]+|#\d+|#x[\da-f]+);/gi, "")
    .replace(/\*+|(?<!\w)_+|_+(?!\w)/g, "");
}

/**
 * GitHub's anchor for a heading: the text as rendered (code spans keep their text), lower case, every character
 * that is not a letter, mark, digit, `_`, `-` or space dropped, each space a hyphen.
 */
export function slug(heading: string): string {
  return heading
    .split(/(`+)([^`]*?)\1/)
    .map((part, i) => (i % 3 === 0 ? renderedText(part) : i % 3 === 2 ? part : ""))
    .join("")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** The anchors a markdown text offers: one per ATX heading (repeats numbered as GitHub does), and HTML ids. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const prose = proseOf(markdown).split("\n");
  markdown.split("\n").forEach((line, i) => {
    if (prose[i]?.trim() === "" && line.trim() !== "") return;
    const heading = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line)?.[1];
    if (heading === undefined) return;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  });
  for (const match of markdown.matchAll(/<[a-z][a-z0-9]*\b[^>]*?\b(?:id|name)\s*=\s*["']([^"']+)["']/gi))
    anchors.add(match[1] as string);
  return anchors;
}

function anchorsIn(repo: Repository, file: string): Set<string> {
  let anchors = repo.anchors.get(file);
  if (anchors === undefined) {
    anchors = anchorsOf(readFileSync(file, "utf8"));
    repo.anchors.set(file, anchors);
  }
  return anchors;
}

export interface Target {
  target: string;
  line: number;
}

const INLINE_LINK =
  /!?\[(?:[^[\]]|\[[^[\]]*\])*\]\(\s*(<[^>\n]*>|[^\s)]*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[(?!\^)[^\]]+\]:[ \t]*(<[^>\n]*>|\S+)/gm;
const HTML_TAG = /<(?:a|img|source|link|script)\b[^>]*>/gi;
const HTML_ATTRIBUTE = /(?<![\w-])(href|src|srcset)\s*=\s*["']([^"']*)["']/gi;
/** What GitHub turns into a link by itself. */
const BARE_URL = /\b(?:https?:\/\/|www\.)[^\s<>()[\]"'`]+/gi;

/** Every link, image and bare URL of a markdown text, with its line; not those in code or HTML comments. */
export function targetsOf(markdown: string): Target[] {
  const prose = proseOf(markdown);
  const lineAt = (index: number) => prose.slice(0, index).split("\n").length;
  const targets: Target[] = [];
  const add = (target: string, index: number) => targets.push({ target, line: lineAt(index) });
  for (const match of prose.matchAll(INLINE_LINK))
    add((match[1] as string).replace(/^<|>$/g, ""), match.index);
  for (const match of prose.matchAll(REFERENCE_DEFINITION))
    add((match[1] as string).replace(/^<|>$/g, ""), match.index);
  for (const tag of prose.matchAll(HTML_TAG)) {
    for (const match of tag[0].matchAll(HTML_ATTRIBUTE)) {
      const value = match[2] as string;
      if (match[1]?.toLowerCase() !== "srcset") add(value, tag.index + match.index);
      else
        for (const image of value.split(","))
          add(image.trim().split(/\s+/)[0] as string, tag.index + match.index);
    }
  }
  const blank = (found: string) => found.replace(/[^\n]/g, " ");
  const rest = prose
    .replace(INLINE_LINK, blank)
    .replace(REFERENCE_DEFINITION, blank)
    .replace(HTML_TAG, blank);
  for (const match of rest.matchAll(BARE_URL)) add(match[0].replace(/[.,:;!?]+$/, ""), match.index);
  return targets;
}

/**
 * Why `target`, linked from the markdown file `from`, is not inside the repository; undefined when it is.
 * `own`: the anchors of `from` itself, when its text is not (yet) the file's.
 */
export function linkProblem(
  repo: Repository,
  target: string,
  from: string,
  own?: Set<string>,
): string | undefined {
  if (target === "") return "empty link";
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(target)?.[1]?.toLowerCase();
  if (scheme !== undefined || target.startsWith("//") || /^www\./i.test(target)) {
    if (scheme !== undefined && scheme !== "http" && scheme !== "https") return "leaves the repository";
    if (LICENSE_NOTICES.has(target)) return undefined;
    return isHomeHost(hostOf(target)) ? undefined : "leaves the repository";
  }
  const hash = target.indexOf("#");
  let path: string;
  let anchor: string | undefined;
  try {
    path = decodeURIComponent((hash === -1 ? target : target.slice(0, hash)).replace(/\?.*$/s, ""));
    anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
  } catch {
    return "not valid percent-encoding";
  }
  const file =
    path === "" ? from : path.startsWith("/") ? join(repo.root, path) : resolve(dirname(from), path);
  return whyNotInRepository(repo, file) ?? anchorProblem(repo, file, anchor, file === from ? own : undefined);
}

/** Why `anchor` is not a place in `file` (a file or folder of the repository); undefined when it is. */
function anchorProblem(
  repo: Repository,
  file: string,
  anchor: string | undefined,
  own?: Set<string>,
): string | undefined {
  if (anchor === undefined || anchor === "") return undefined;
  if (statSync(file).isDirectory()) return "an anchor on a folder";
  if (!isMarkdown(file))
    return /^L\d+(-L\d+)?$/.test(anchor) ? undefined : "an anchor on a file without headings";
  const anchors = own ?? anchorsIn(repo, file);
  return anchors.has(anchor) ? undefined : `no heading #${anchor} in ${relative(repo.root, file)}`;
}

/**
 * A markdown file named in a text, linked or not, with the section it cites: `docs/protocol.md#names`,
 * `docs/protocol.md, "Names"` or `docs/protocol.md's "Names"`. Not a template (`{mode}-latest.md`,
 * `chaos-<mode>-latest.md`).
 */
const MARKDOWN_MENTION =
  /(?<![\w./{}<>$-])((?:(?:\.{1,2}\/)+|\/)?\w[\w./-]*\.md)\b(?:#([\w-]+)|(?:'s)?,? "([^"\n]+)")?/g;

/**
 * Why a markdown file (and section) that the file `from` names is not one of the repository. A name is a path from
 * the file's folder, or from its compiled copy's under build/ (a test reads a file with `new URL(path,
 * import.meta.url)`), or from the repository's root; or, without a folder, the name of a markdown file of the
 * repository.
 */
function mentionProblem(
  repo: Repository,
  mentioned: string,
  section: string | undefined,
  from: string,
): string | undefined {
  const candidates = mentioned.startsWith("/")
    ? [join(repo.root, mentioned)]
    : [
        resolve(dirname(from), mentioned),
        resolve(repo.root, "build", relative(repo.root, dirname(from)), mentioned),
        resolve(repo.root, mentioned),
      ];
  const file = candidates.find((path) => whyNotInRepository(repo, path) === undefined);
  if (file === undefined) {
    if (!mentioned.includes("/") && repo.markdownNames.has(mentioned)) return undefined;
    return "no such file in the repository";
  }
  return section === undefined ? undefined : anchorProblem(repo, file, section);
}

/**
 * The folder that holds the repository, as a prefix of absolute paths (its other entries are other checkouts,
 * notes, ...); undefined when that is the file system's root or the temporary folder, where paths are common.
 */
function outsidePrefix(repo: Repository): RegExp | undefined {
  const parent = dirname(repo.root);
  if (parent === dirname(parent) || parent === resolve(tmpdir())) return undefined;
  return new RegExp(`(?<![\\w.:/-])${`${parent}${sep}`.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&")}`);
}

/** The problems with a text's markdown file names (anywhere in it, code included) and absolute paths outside. */
function namingProblems(
  repo: Repository,
  from: string,
  text: string,
  where: (line: number) => string,
): string[] {
  const outside = outsidePrefix(repo);
  return text.split("\n").flatMap((line, i) => {
    const problems = [...line.matchAll(MARKDOWN_MENTION)].flatMap((match) => {
      const section = match[2] ?? (match[3] === undefined ? undefined : slug(match[3]));
      const problem = mentionProblem(repo, match[1] as string, section, from);
      return problem === undefined ? [] : [`${where(i + 1)}: ${match[0]}: ${problem}`];
    });
    if (outside?.test(line))
      problems.push(`${where(i + 1)}: names ${dirname(repo.root)}${sep}, outside the repository`);
    return problems;
  });
}

/**
 * Every reason the markdown file `from` (with the text `markdown`, its own by default) points outside the
 * repository: its links and images, and the markdown files and paths it names.
 */
export function markdownProblems(repo: Repository, from: string, markdown?: string): string[] {
  const text = markdown ?? readFileSync(from, "utf8");
  const own = markdown === undefined ? undefined : anchorsOf(markdown);
  const name = relative(repo.root, from);
  const where = (line: number) => `${name}:${line}`;
  const links = targetsOf(text).flatMap(({ target, line }) => {
    const problem = linkProblem(repo, target, from, own);
    return problem === undefined ? [] : [`${where(line)}: ${target}: ${problem}`];
  });
  return [...links, ...namingProblems(repo, from, text, where)];
}

/** The comment part of a source line, when it has one (line comments, block comment lines, HTML comments). */
export function commentOf(line: string): string | undefined {
  const trimmed = line.trim();
  if (/^(\/\/|\/\*|\*|<!--)/.test(trimmed)) return trimmed;
  const inline = /\s(\/\/|\/\*|<!--)\s/.exec(line);
  return inline === null ? undefined : line.slice(inline.index + 1);
}

const RELATIVE_PATH = /(?<![\w./-])\.{1,2}\/(?:\.\.\/)*[\w-][\w.-]*(?:\/[\w.-]+)*/g;
const URL_IN_TEXT = /\b(?:https?:\/\/|www\.)[^\s"'`)<>]+/g;

/** Why a relative path in a comment of `from` is not a file or folder of the repository (`x.js` may be `x.ts`). */
function relativePathProblem(repo: Repository, path: string, from: string): string | undefined {
  const file = resolve(dirname(from), path.replace(/\.+$/, ""));
  const problem = whyNotInRepository(repo, file);
  if (problem === "no such file or folder" && /\.js$/.test(file) && existsSync(file.replace(/\.js$/, ".ts")))
    return undefined;
  return problem;
}

/**
 * Every reason the source file `from` (with the text `source`, its own by default) points outside the repository:
 * a markdown file it names (comments, strings, test titles), and in its comments a relative path that leaves the
 * repository or names nothing there, an absolute path beside the repository, or another site.
 */
export function sourceProblems(repo: Repository, from: string, source?: string): string[] {
  const text = source ?? readFileSync(from, "utf8");
  const name = relative(repo.root, from);
  const where = (line: number) => `${name}:${line}`;
  const problems = namingProblems(repo, from, text, where);
  text.split("\n").forEach((line, i) => {
    const comment = commentOf(line);
    if (comment === undefined) return;
    for (const match of comment.matchAll(RELATIVE_PATH)) {
      const problem = relativePathProblem(repo, match[0], from);
      if (problem !== undefined) problems.push(`${where(i + 1)}: ${match[0]}: ${problem}`);
    }
    for (const match of comment.matchAll(URL_IN_TEXT)) {
      const url = match[0].replace(/[.,:;!?]+$/, "");
      if (linkProblem(repo, url, from) !== undefined)
        problems.push(`${where(i + 1)}: ${url}: leaves the repository`);
    }
  });
  return problems;
}
