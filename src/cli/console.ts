import { createInterface, type Interface } from "node:readline";
import { type Command, Option } from "commander";
import { decodeJwt } from "jose";
import WebSocket from "ws";
import { PROTOCOL_NAMES, type ProtocolName } from "../protocols/codec.js";
import { TOKEN_PARAMETER } from "../transport/admission.js";
import { readLine, showFrame } from "./console-frames.js";

/** How long EOF waits for the replies still due before closing the socket. */
const DRAIN_TIMEOUT_MS = 5000;

const COMMANDS_HELP = `commands (the text protocol):
  reg CH          own the point-to-point channel CH
  unreg CH        give it up
  send CH MSG     send MSG to the owner of CH
  sub CH          subscribe to the pub/sub channel CH
  unsub CH        unsubscribe
  pub CH MSG      publish MSG to the subscribers of CH
  ping            the server answers pong
  bye             close the connection
  help            this list
MSG is one word or a double-quoted string ("hello there", \\" for a quote).
Received replies and deliveries are shown as "< west CH:EVENT" and "< FROM CH:new_message MSG".
End of input (Ctrl-D) closes the connection once the pending replies are in.`;

interface ConsoleOptions {
  url: string;
  key?: string;
  protocol: ProtocolName;
  token?: string;
}

/** `west console`: an interactive client of a running node, one command per line of stdin. */
export function defineConsoleCommand(program: Command): void {
  const command = program
    .command("console")
    .description("talk to a running node: one text-protocol command per line of stdin, replies on stdout")
    .option(
      "--key <key>",
      "your client key: the `from` of everything you send; with a token, default the token's subject",
    )
    .option(
      "--url <url>",
      "the node's address; /websocket/{protocol}/{key} is appended to its path, its query is kept",
      "ws://127.0.0.1:8080",
    )
    .addOption(new Option("--protocol <protocol>", "wire protocol").choices(PROTOCOL_NAMES).default("text"))
    .addOption(
      new Option(
        "--token <jwt>",
        "connection token for a node with auth on (sent as Authorization: Bearer)",
      ).env("WEST_TOKEN"),
    )
    .addHelpText("after", `\n${COMMANDS_HELP}`)
    .action(async (options: ConsoleOptions) => {
      const base = baseUrl(options.url);
      if (typeof base === "string") return command.error(`error: ${base}`);
      const token = connectionToken(base, options.token);
      const who = options.key ?? (token === undefined ? undefined : tokenSubject(token));
      if (who === undefined) {
        return command.error(
          "error: give --key KEY, or a token whose subject is the key (--token, WEST_TOKEN or ?token= in --url)",
        );
      }
      const address = endpoint(base, options.protocol, options.key);
      process.exit(await runConsole(address, options.protocol, options.token, who));
    });
}

/** `--url` as a WebSocket URL (http and https become ws and wss), or why it is not one. */
function baseUrl(url: string): URL | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `invalid --url ${url}: not a URL`;
  }
  parsed.protocol = parsed.protocol.replace(/^http/, "ws");
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:")
    return `invalid --url ${url}: expected ws://, wss://, http:// or https://`;
  return parsed;
}

/** The token the node will read: the Authorization header's (--token), else the URL's `token` parameter. */
function connectionToken(base: URL, token: string | undefined): string | undefined {
  return token ?? (base.searchParams.get(TOKEN_PARAMETER) || undefined);
}

/**
 * The endpoint `/websocket/{protocol}[/{key}]` appended to the base URL's path, its query kept. Without a key the
 * node takes the key from the token (its subject).
 */
function endpoint(base: URL, protocol: ProtocolName, key: string | undefined): URL {
  const address = new URL(base.href);
  const suffix = key === undefined ? "" : `/${encodeURIComponent(key)}`;
  address.pathname = `${address.pathname.replace(/\/+$/, "")}/websocket/${protocol}${suffix}`;
  address.hash = "";
  return address;
}

/** An address as shown on the terminal: the value of a token in its query shows as `hidden`. */
function shown(address: URL): string {
  if (!address.searchParams.has(TOKEN_PARAMETER)) return address.href;
  const copy = new URL(address.href);
  copy.searchParams.set(TOKEN_PARAMETER, "hidden");
  return copy.href;
}

/**
 * Whom the node takes a key-less connection for: the token's subject, read without verifying the token (the
 * node verifies it, and refuses the connection when it is not valid).
 */
function tokenSubject(token: string): string {
  try {
    const { sub } = decodeJwt(token);
    return sub === undefined ? "the token's subject (it has none)" : `${sub} (the token's subject)`;
  } catch {
    return "the token's subject (the token cannot be read)";
  }
}

/**
 * Connects as `who` (with --token, sent as Authorization: Bearer) and resolves with the exit code: 0 after EOF or
 * a 1000 close, 1 on any other close or a failed connection.
 */
async function runConsole(
  address: URL,
  protocol: ProtocolName,
  token: string | undefined,
  who: string,
): Promise<number> {
  const socket = await connect(address, token);
  if (typeof socket === "string") {
    console.error(`west console: ${socket}`);
    return 1;
  }
  console.error(`connected to ${shown(address)} as ${who} (type help for commands)`);
  const terminal = Boolean(process.stdin.isTTY);
  const output = terminal ? process.stdout : undefined;
  const input = createInterface({ input: process.stdin, output, terminal, prompt: "> " });
  const print = (line: string) => {
    if (terminal) process.stdout.write("\r\x1b[K");
    process.stdout.write(`${line}\n`);
    if (terminal) input.prompt(true);
  };
  let repliesDue = 0;
  let nextId = 1;
  let drained: (() => void) | undefined;

  socket.on("message", (payload: Buffer, isBinary: boolean) => {
    const shown = showFrame(payload, isBinary, protocol);
    print(`< ${shown.line}`);
    if (shown.isReply) repliesDue = Math.max(0, repliesDue - 1);
    if (repliesDue === 0) drained?.();
  });
  input.on("line", (line) => {
    if (line.trim() === "") return input.prompt();
    const request = readLine(line, protocol, String(nextId++));
    if (request.type === "help") print(COMMANDS_HELP);
    else if (request.type === "invalid") console.error(`! ${request.reason}`);
    else if (request.type === "bye" && protocol === "pb") socket.close(1000);
    else if (request.type === "bye") socket.send("bye");
    else {
      socket.send(request.frame);
      repliesDue++;
    }
    input.prompt();
  });
  input.on("close", () => {
    if (socket.readyState !== WebSocket.OPEN) return;
    const timer = setTimeout(() => socket.close(1000), repliesDue === 0 ? 0 : DRAIN_TIMEOUT_MS);
    drained = () => {
      clearTimeout(timer);
      socket.close(1000);
    };
  });
  input.prompt();
  return closeCode(socket, input);
}

/** An open socket, or why it could not open. */
function connect(url: URL, token: string | undefined): Promise<WebSocket | string> {
  const address = shown(url);
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(
        url,
        token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } },
      );
    } catch (error) {
      resolve(`invalid address ${address}: ${(error as Error).message}`);
      return;
    }
    socket.once("open", () => resolve(socket));
    socket.once("unexpected-response", (_request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => {
        resolve(`${address} refused the connection: HTTP ${response.statusCode} ${body.trim()}`);
        socket.terminate();
      });
    });
    // Also after opening: a socket error is followed by "close", which ends the console.
    socket.on("error", (error) => resolve(`cannot connect to ${address}: ${error.message}`));
  });
}

function closeCode(socket: WebSocket, input: Interface): Promise<number> {
  return new Promise((resolve) => {
    socket.on("close", (code: number, reason: Buffer) => {
      input.close();
      const why = reason.length > 0 ? ` (${reason.toString("utf8")})` : "";
      console.error(`closed ${code}${why}`);
      resolve(code === 1000 ? 0 : 1);
    });
  });
}
