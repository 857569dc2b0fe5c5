import { createInterface, type Interface } from "node:readline";
import { type Command, Option } from "commander";
import WebSocket from "ws";
import { PROTOCOL_NAMES, type ProtocolName } from "../protocols/codec.js";
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
  key: string;
  protocol: ProtocolName;
  token?: string;
}

/** `west console`: an interactive client of a running node, one command per line of stdin. */
export function defineConsoleCommand(program: Command): void {
  program
    .command("console")
    .description("talk to a running node: one text-protocol command per line of stdin, replies on stdout")
    .requiredOption("--key <key>", "your client key: the `from` of everything you send")
    .option("--url <url>", "the node's WebSocket address", "ws://127.0.0.1:8080")
    .addOption(new Option("--protocol <protocol>", "wire protocol").choices(PROTOCOL_NAMES).default("text"))
    .addOption(
      new Option(
        "--token <jwt>",
        "connection token for a node with auth on (sent as Authorization: Bearer)",
      ).env("WEST_TOKEN"),
    )
    .addHelpText("after", `\n${COMMANDS_HELP}`)
    .action(async (options: ConsoleOptions) => process.exit(await runConsole(options)));
}

/** Resolves with the exit code: 0 after EOF or a 1000 close, 1 on any other close or a failed connection. */
async function runConsole({ url, key, protocol, token }: ConsoleOptions): Promise<number> {
  const address = `${url.replace(/^http/, "ws").replace(/\/+$/, "")}/websocket/${protocol}/${encodeURIComponent(key)}`;
  const socket = await connect(address, token);
  if (typeof socket === "string") {
    console.error(`west console: ${socket}`);
    return 1;
  }
  console.error(`connected to ${address} (type help for commands)`);
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
function connect(address: string, token: string | undefined): Promise<WebSocket | string> {
  return new Promise((resolve) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(
        address,
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
