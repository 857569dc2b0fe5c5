import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, describe, it } from "node:test";
import type { ProtocolName } from "../../src/protocols/codec.js";
import { CliProcess } from "../helpers/cli-process.js";
import { TEST_SECRET, token } from "../helpers/tokens.js";
import { connect, listeningNode } from "../helpers/ws-client.js";

const node = await listeningNode();

/** `west console` connected to the test node; resolves once it says it is connected. */
async function westConsole(key: string, protocol: ProtocolName, url = node.wsUrl): Promise<CliProcess> {
  const west = new CliProcess(["console", "--url", url, "--key", key, "--protocol", protocol]);
  await west.nextLine("stderr", "connected to");
  return west;
}

for (const protocol of ["text", "json", "pb"] as const) {
  describe(`west console --protocol ${protocol}`, { concurrency: true }, () => {
    it("registers, subscribes, publishes and sees its own publication", async () => {
      const west = await westConsole(`c1-${protocol}`, protocol);
      west.write(`reg r-${protocol}`);
      await west.nextLine("stdout", `< west r-${protocol}:registration_succeeded`);
      west.write(`sub ps-${protocol}`);
      await west.nextLine("stdout", `< west ps-${protocol}:subscription_succeeded`);
      west.write(`pub ps-${protocol} "hello there"`);
      const seen = [await west.nextLine("stdout", /^< /), await west.nextLine("stdout", /^< /)].sort();
      assert.deepEqual(seen, [
        `< c1-${protocol} ps-${protocol}:new_message hello there`,
        `< west ps-${protocol}:publication_succeeded`,
      ]);
      west.write("ping");
      await west.nextLine("stdout", "< pong");
      west.end();
      assert.equal(await west.exitCode(), 0);
    });

    it("sends to the owner of a channel in another console", async () => {
      const owner = await westConsole(`owner-${protocol}`, protocol);
      owner.write(`reg mine-${protocol}`);
      await owner.nextLine("stdout", `< west mine-${protocol}:registration_succeeded`);
      const sender = await westConsole(`sender-${protocol}`, protocol);
      sender.write(`send mine-${protocol} "hi owner"`);
      await sender.nextLine("stdout", `< west mine-${protocol}:sending_succeeded`);
      await owner.nextLine("stdout", `< sender-${protocol} mine-${protocol}:new_message hi owner`);
      sender.write(`reg mine-${protocol}`);
      await sender.nextLine("stdout", `< west mine-${protocol}:registration_denied`);
      owner.end();
      sender.end();
      assert.equal(await owner.exitCode(), 0);
      assert.equal(await sender.exitCode(), 0);
    });

    it("reports unparseable input locally and sends nothing", async () => {
      const west = await westConsole(`bad-${protocol}`, protocol);
      west.write("frobnicate now");
      await west.nextLine("stderr", "! not a command: frobnicate now");
      west.write('pub x "unbalanced');
      await west.nextLine("stderr", "! not a command");
      west.write("ping");
      await west.nextLine("stdout", "< pong");
      assert.deepEqual(west.lines.stdout, ["< pong"]);
      west.end();
      assert.equal(await west.exitCode(), 0);
    });

    it("at end of input waits for the replies still due, then closes and exits 0", async () => {
      const west = new CliProcess([
        "console",
        "--url",
        node.wsUrl,
        "--key",
        `eof-${protocol}`,
        "--protocol",
        protocol,
      ]);
      west.write(`reg eof-${protocol}`);
      west.write("ping");
      west.end();
      assert.equal(await west.exitCode(), 0);
      assert.deepEqual(west.lines.stdout, [`< west eof-${protocol}:registration_succeeded`, "< pong"]);
      await west.nextLine("stderr", "closed 1000");
    });

    it("bye closes the connection with 1000 and exits 0", async () => {
      const west = await westConsole(`bye-${protocol}`, protocol);
      west.write("bye");
      assert.equal(await west.exitCode(), 0);
      await west.nextLine("stderr", "closed 1000");
    });
  });
}

describe("west console", { concurrency: true }, () => {
  it("shows deliveries from a client of another protocol in the same line format", async () => {
    const west = await westConsole("reader", "json");
    west.write("sub mixed");
    await west.nextLine("stdout", "< west mixed:subscription_succeeded");
    const writer = await connect(node.wsUrl, "text", "writer");
    writer.send('pub mixed "from text"');
    await west.nextLine("stdout", "< writer mixed:new_message from text");
    west.end();
    assert.equal(await west.exitCode(), 0);
  });

  it("prints the commands on help", async () => {
    const west = await westConsole("helper", "text");
    west.write("help");
    await west.nextLine("stdout", "pub CH MSG");
    west.end();
    assert.equal(await west.exitCode(), 0);
  });

  it("prints the close code and exits 1 when the server goes away", async () => {
    const own = await listeningNode();
    const west = await westConsole("left", "text", own.wsUrl);
    await own.stop();
    await west.nextLine("stderr", "closed 1001");
    assert.equal(await west.exitCode(), 1);
  });

  it("exits 1 with a message when it cannot connect", async () => {
    const own = await listeningNode();
    await own.stop();
    const west = new CliProcess(["console", "--url", own.wsUrl, "--key", "nobody"]);
    assert.equal(await west.exitCode(), 1);
    await west.nextLine("stderr", "cannot connect to");
  });

  it("exits 1 with the server's answer when the upgrade is refused", async () => {
    const west = new CliProcess(["console", "--url", node.wsUrl, "--key", 'a"b']);
    assert.equal(await west.exitCode(), 1);
    await west.nextLine("stderr", "refused the connection: HTTP 400");
  });

  it("exits 2 on a missing key or an unknown protocol", async () => {
    const noKey = new CliProcess(["console", "--url", node.wsUrl]);
    assert.equal(await noKey.exitCode(), 2);
    await noKey.nextLine("stderr", "--key");
    const badProtocol = new CliProcess(["console", "--key", "k", "--protocol", "xml"]);
    assert.equal(await badProtocol.exitCode(), 2);
    await badProtocol.nextLine("stderr", "xml");
  });
});

describe("west console --token", () => {
  it("connects to a node with auth on with a token from --token or WEST_TOKEN, and is refused without one", async () => {
    const authNode = await listeningNode({ auth: { jwtSecret: TEST_SECRET } });
    const jwt = await token(TEST_SECRET, { sub: "tokened" });
    const args = ["console", "--url", authNode.wsUrl, "--key", "tokened"];
    for (const west of [
      new CliProcess([...args, "--token", jwt]),
      new CliProcess(args, { env: { WEST_TOKEN: jwt } }),
    ]) {
      await west.nextLine("stderr", "connected to");
      west.write("ping");
      await west.nextLine("stdout", "< pong");
      west.end();
      assert.equal(await west.exitCode(), 0);
    }
    const refused = new CliProcess(args);
    assert.equal(await refused.exitCode(), 1);
    await refused.nextLine("stderr", "refused the connection: HTTP 401 missing token");
  });
});

describe("west console --url", () => {
  it("appends the endpoint to the URL's path and keeps its query", async () => {
    const seen: string[] = [];
    const server = createServer();
    server.on("upgrade", (request, socket) => {
      seen.push(request.url ?? "");
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    after(() => server.close());
    const { port } = server.address() as { port: number };
    const west = new CliProcess(["console", "--url", `ws://127.0.0.1:${port}/west/?a=b`, "--key", "u 1"]);
    assert.equal(await west.exitCode(), 1);
    assert.deepEqual(seen, ["/west/websocket/text/u%201?a=b"]);
  });

  it("sends the token in the URL's query to a node with auth on, and does not print it", async () => {
    const authNode = await listeningNode({ auth: { jwtSecret: TEST_SECRET } });
    const jwt = await token(TEST_SECRET, { sub: "queried" });
    const url = `${authNode.wsUrl}/?token=${jwt}`;
    const west = new CliProcess(["console", "--url", url, "--key", "queried"]);
    const connected = await west.nextLine("stderr", "connected to");
    assert.ok(connected.includes(`${authNode.wsUrl}/websocket/text/queried?token=hidden`), connected);
    assert.ok(!connected.includes(jwt), connected);
    west.write("ping");
    await west.nextLine("stdout", "< pong");
    west.end();
    assert.equal(await west.exitCode(), 0);
  });
});

describe("west console with a token and no --key", () => {
  it("connects without a key, as the token's subject, with the token from --token or from the URL's query", async () => {
    const authNode = await listeningNode({ auth: { jwtSecret: TEST_SECRET } });
    const jwt = await token(TEST_SECRET, { sub: "subject" });
    for (const [i, args] of [
      ["--url", authNode.wsUrl, "--token", jwt],
      ["--url", `${authNode.wsUrl}?token=${jwt}`],
    ].entries()) {
      const west = new CliProcess(["console", ...args]);
      const connected = await west.nextLine("stderr", "connected to");
      assert.ok(connected.includes(`${authNode.wsUrl}/websocket/text`), connected);
      assert.ok(connected.includes("as subject (the token's subject)"), connected);
      // The node took the key from the token: it is the `from` of what this console publishes.
      west.write(`sub keyless-${i}`);
      await west.nextLine("stdout", `< west keyless-${i}:subscription_succeeded`);
      west.write(`pub keyless-${i} hi`);
      await west.nextLine("stdout", `< subject keyless-${i}:new_message hi`);
      west.end();
      assert.equal(await west.exitCode(), 0);
    }
  });

  it("exits 2 naming --key and the token when there is neither", async () => {
    const west = new CliProcess(["console", "--url", node.wsUrl]);
    assert.equal(await west.exitCode(), 2);
    await west.nextLine("stderr", "give --key KEY, or a token");
  });
});
