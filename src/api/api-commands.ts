import type { Core } from "../core/core.js";
import { API_KEY, type Command, type Reason, type Reply, type Response, reply } from "../core/message.js";
import { isValidName } from "../core/names.js";
import type { Session } from "../core/session.js";
import { commandFromFields, jsonCodec } from "../protocols/json.js";

/** The commands of the HTTP API: the path's last segment. */
export const API_COMMANDS: ReadonlySet<string> = new Set([
  "publish",
  "send",
  "request",
  "presence",
  "history",
  "disconnect",
  "info",
  "batch",
]);
/** Commands a batch may hold. */
const IN_BATCH: ReadonlySet<string> = new Set([
  "publish",
  "send",
  "presence",
  "history",
  "disconnect",
  "info",
]);
/** Commands that run as a client's would, on a session of the API's own. */
const AS_CLIENT: ReadonlySet<string> = new Set(["publish", "send", "request", "presence", "history"]);
const MAX_BATCH = 1000;

/** The HTTP status and the body (JSON text) of an API command's answer. */
export interface ApiAnswer {
  status: number;
  reply: string;
}

type Fields = Record<string, unknown>;

/** Runs `command` with the request body `text` (the JSON protocol's fields): its status and reply. */
export async function runApiCommand(core: Core, command: string, text: string): Promise<ApiAnswer> {
  const fields = objectOf(text);
  if (typeof fields === "string") return answered(badRequest(fields));
  if (command === "batch") return runBatch(core, fields, text);
  return answered(await runOne(core, command, fields, text));
}

async function runBatch(core: Core, fields: Fields, text: string): Promise<ApiAnswer> {
  const { commands } = fields;
  if (!Array.isArray(commands) || commands.length > MAX_BATCH)
    return answered(badRequest("commands is not an array of at most 1000"));
  const replies: (Reply | Response)[] = [];
  let run: { from: string; session: Session; replies: Promise<Reply | Response>[] } | undefined;
  const endRun = async () => {
    if (run === undefined) return;
    replies.push(...(await Promise.all(run.replies)));
    await run.session.close();
    run = undefined;
  };
  for (const item of commands) {
    const event =
      typeof item === "object" && item !== null && !Array.isArray(item) ? (item as Fields).event : undefined;
    if (typeof event !== "string" || !IN_BATCH.has(event)) {
      await endRun();
      replies.push(badRequest(typeof event === "string" ? "not allowed in a batch" : "missing event"));
      continue;
    }
    const itemFields = item as Fields;
    if (!AS_CLIENT.has(event)) {
      await endRun();
      replies.push(await runOne(core, event, itemFields, text));
      continue;
    }
    const prepared = prepare(event, itemFields, text);
    if ("event" in prepared) {
      await endRun();
      replies.push(prepared);
      continue;
    }
    if (run !== undefined && run.from !== prepared.from) await endRun();
    run ??= { from: prepared.from, session: openSession(core, prepared.from), replies: [] };
    run.replies.push(execute(run.session, prepared.command));
  }
  await endRun();
  return { status: 200, reply: `{"replies":[${replies.map(jsonText).join(",")}]}` };
}

async function runOne(core: Core, event: string, fields: Fields, text: string): Promise<Reply | Response> {
  if (event === "disconnect") {
    const { key } = fields;
    if (!isValidName(key, Number.MAX_SAFE_INTEGER)) return badRequest("key is missing or not a valid key");
    const { closed, complete } = await core.disconnect(key);
    const answer = complete
      ? reply("disconnect_succeeded", undefined, idOf(fields))
      : reply("internal_error", undefined, idOf(fields), "no answer from a node");
    answer.data = closed;
    return answer;
  }
  if (event === "info") {
    const answer = reply("info_succeeded", undefined, idOf(fields));
    answer.data = await core.info();
    return answer;
  }
  const prepared = prepare(event, fields, text);
  if ("event" in prepared) return prepared;
  const session = openSession(core, prepared.from);
  try {
    return await execute(session, prepared.command);
  } finally {
    await session.close();
  }
}

/** The command the body makes, and who it is from; or the bad_request that refuses it. */
function prepare(event: string, fields: Fields, text: string): { command: Command; from: string } | Reply {
  const from = fields.from ?? API_KEY;
  if (typeof from !== "string" || !isValidName(from, Number.MAX_SAFE_INTEGER) || from === "west")
    return badRequest("from is not a valid key");
  const decoded = commandFromFields({ ...fields, event }, text);
  if (decoded.type !== "command")
    return decoded.type === "reply" ? decoded.reply : badRequest("not a JSON object");
  return { command: decoded.command, from };
}

/** A session of the API's own, as `from`: trusted (permission rules do not apply), its deliveries dropped. */
function openSession(core: Core, from: string): Session {
  return core.open(from, { deliver: () => true }, { trusted: true }, "api");
}

function execute(session: Session, command: Command): Promise<Reply | Response> {
  return new Promise((resolve) => session.execute(command, resolve));
}

function objectOf(text: string): Fields | Reason {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "not JSON";
  }
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)
    ? (parsed as Fields)
    : "not a JSON object";
}

function idOf({ id }: Fields): Command["id"] {
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : undefined;
}

function badRequest(reason: Reason): Reply {
  return reply("bad_request", undefined, undefined, reason);
}

/** A reply as the JSON protocol writes it (always text: the JSON codec never makes a binary frame). */
function jsonText(answer: Reply | Response): string {
  return jsonCodec.encode(answer) as string;
}

function answered(answer: Reply | Response): ApiAnswer {
  const status = answer.event === "bad_request" ? 400 : answer.event === "internal_error" ? 503 : 200;
  return { status, reply: jsonText(answer) };
}
