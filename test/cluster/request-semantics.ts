import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Delivery, Message, Reply, Response, WestNode } from "../../src/index.js";
import { startWestProcess } from "../helpers/cli-process.js";
import { connect } from "../helpers/ws-client.js";
import { Inbox, type Mode } from "./three-nodes.js";

let unique = 0;
const fresh = (what: string) => `svc.${what}-${process.pid}-${++unique}`;

/** The requests delivered to an owner's inbox on `channel`, in order. */
const requestsAt = (inbox: Inbox, channel: string) =>
  inbox.messages.filter(
    (m: Message): m is Delivery => m.event === "new_message" && m.channel === channel && "reply_to" in m,
  );

/** A token: a node id, a dot, then 128 random bits in base64url (22 characters). */
const TOKEN = /^[0-9a-z]+\.[A-Za-z0-9_-]{22}$/;

/**
 * docs/protocol.md, "Request/reply (ext)", checked with requesters and owners spread over three nodes. `process`: the
 * arguments of a `west start` that joins the same system, to kill it with SIGKILL (Redis modes only).
 */
export function requestSuite(
  mode: Mode,
  skip: string | false = false,
  process?: () => { args: string[]; heartbeatTtlMs: number },
): void {
  describe(`request/reply across three nodes: ${mode.name}`, { skip }, () => {
    let n1: WestNode;
    let n2: WestNode;
    let n3: WestNode;
    before(async () => {
      [n1, n2, n3] = await mode.start({ maxPendingRequests: 3 });
    });
    after(async () => {
      await Promise.all([...new Set([n1, n2, n3])].map((node) => node?.stop()));
    });

    /** An owner of a fresh channel on `node` that answers each request with `answer(data)`. */
    async function answering(node: WestNode, key: string, answer: (data: unknown) => unknown) {
      const channel = fresh(key);
      const owner = node.client(key, (message) => {
        if (message.event === "new_message" && message.reply_to !== undefined)
          void owner.reply(message.reply_to, answer(message.data) as string);
      });
      assert.equal((await owner.reg(channel)).event, "registration_succeeded");
      return { channel, owner };
    }

    it("a request reaches the owner on another node with a token, and its reply comes back as the one response", async () => {
      const channel = fresh("echo");
      const owner = new Inbox(n2, "pricing");
      assert.equal((await owner.client.reg(channel)).event, "registration_succeeded");
      const requester = new Inbox(n1, "alice");
      const outcome = requester.client.request(channel, { sku: 7 }, { timeoutMs: 5000 });
      await owner.waitFor(channel, 1);
      const [request] = requestsAt(owner, channel);
      assert.equal(request?.from, "alice");
      assert.deepEqual(request?.data, { sku: 7 });
      const token = request?.reply_to as string;
      assert.match(token, TOKEN);
      assert.deepEqual(await owner.client.reply(token, { price: 42 }), {
        event: "reply_succeeded",
        from: "west",
        channel: token,
      });
      assert.deepEqual(await outcome, {
        event: "response",
        from: "pricing",
        channel,
        data: { price: 42 },
      } satisfies Response);
      const again = (await owner.client.reply(token, "twice")) as Reply;
      assert.equal(again.event, "reply_failed", "the token died with its request");
      assert.equal(again.reason, "unknown or expired token");
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(requester.messages.length, 0, "nothing else reached the requester");
    });

    it("requests from every node to owners on every node each get their own response; tokens are all different", async () => {
      const owners = await Promise.all(
        [n1, n2, n3].map((node, i) => answering(node, `owner${i}`, (data) => `${data} from owner${i}`)),
      );
      const asks = [n1, n2, n3].flatMap((node, from) =>
        owners.map(({ channel }, to) =>
          node
            .client(`asker${from}`)
            .request(channel, `q${from}${to}`)
            .then((outcome) => [outcome.event, outcome.data]),
        ),
      );
      const outcomes = await Promise.all(asks);
      assert.deepEqual(
        outcomes,
        [0, 1, 2].flatMap((from) => [0, 1, 2].map((to) => ["response", `q${from}${to} from owner${to}`])),
      );
    });

    it("no owner: registration_not_found; no reply in time: request_timeout, and the late reply fails", async () => {
      const nobody = await n1.client("asker").request(fresh("nobody"), "x");
      assert.deepEqual(nobody, { event: "registration_not_found", from: "west", channel: nobody.channel });
      const channel = fresh("silent");
      const owner = new Inbox(n3, "silent");
      await owner.client.reg(channel);
      const startedAt = Date.now();
      const outcome = await n1.client("asker").request(channel, "x", { timeoutMs: 300 });
      const took = Date.now() - startedAt;
      assert.deepEqual(outcome, { event: "request_timeout", from: "west", channel });
      assert.ok(took >= 290 && took < 2000, `timed out after ${took} ms`);
      const [request] = requestsAt(owner, channel);
      const late = (await owner.client.reply(request?.reply_to as string, "late")) as Reply;
      assert.equal(late.event, "reply_failed");
    });

    it("a requester that leaves ends its requests: the owner's reply fails, nothing hangs", async () => {
      const channel = fresh("left");
      const owner = new Inbox(n2, "owner");
      await owner.client.reg(channel);
      const requester = n3.client("leaver");
      void requester.request(channel, "x", { timeoutMs: 60_000 });
      await owner.waitFor(channel, 1);
      await requester.close();
      const [request] = requestsAt(owner, channel);
      const answer = (await owner.client.reply(request?.reply_to as string, "too late")) as Reply;
      assert.equal(answer.event, "reply_failed");
    });

    it("an owner that closes with requests pending: they time out, never hang", async () => {
      const channel = fresh("closing");
      const owner = new Inbox(n2, "owner");
      await owner.client.reg(channel);
      const outcome = n1.client("asker").request(channel, "x", { timeoutMs: 500 });
      await owner.waitFor(channel, 1);
      await owner.client.close();
      assert.equal((await outcome).event, "request_timeout");
    });

    it("a connection may request a channel it owns itself, and answer while its own request is pending", async () => {
      const channel = fresh("self");
      const self = n2.client("self", (message) => {
        if (message.event === "new_message" && message.reply_to !== undefined)
          void self.reply(message.reply_to, `echo ${message.data}`);
      });
      await self.reg(channel);
      const outcome = await self.request(channel, "me");
      assert.deepEqual(outcome, { event: "response", from: "self", channel, data: "echo me" });
    });

    it("pending requests per connection are bounded (maxPendingRequests): one more is request_failed with a reason", async () => {
      const channel = fresh("bounded");
      const owner = new Inbox(n3, "owner");
      await owner.client.reg(channel);
      const requester = n1.client("greedy");
      const pending = [1, 2, 3].map((n) => requester.request(channel, `r${n}`, { timeoutMs: 60_000 }));
      const refused = await requester.request(channel, "r4");
      assert.deepEqual(refused, {
        event: "request_failed",
        from: "west",
        channel,
        reason: "too many pending requests on this connection",
      });
      await owner.waitFor(channel, 3);
      for (const request of requestsAt(owner, channel))
        await owner.client.reply(request.reply_to as string, "ok");
      assert.deepEqual(
        (await Promise.all(pending)).map((outcome) => outcome.event),
        ["response", "response", "response"],
      );
      owner.messages.length = 0;
      const next = requester.request(channel, "r5");
      await owner.waitFor(channel, 1);
      await owner.client.reply(requestsAt(owner, channel)[0]?.reply_to as string, "freed");
      assert.equal((await next).data, "freed", "answered requests free their places");
    });

    it("a guessed token is refused: the right node's prefix with other random bits", async () => {
      const channel = fresh("guess");
      const owner = new Inbox(n2, "owner");
      await owner.client.reg(channel);
      const outcome = n1.client("asker").request(channel, "x", { timeoutMs: 2000 });
      await owner.waitFor(channel, 1);
      const token = requestsAt(owner, channel)[0]?.reply_to as string;
      const [node] = token.split(".");
      const guessed = `${node}.${"A".repeat(22)}`;
      const thief = n3.client("thief");
      const refused = (await thief.reply(guessed, "forged")) as Reply;
      assert.equal(refused.event, "reply_failed");
      assert.equal(refused.reason, "unknown or expired token");
      await owner.client.reply(token, "genuine");
      assert.equal((await outcome).data, "genuine");
    });

    if (process !== undefined)
      it("an owner whose node dies (kill -9) with a request delivered: the request times out", async () => {
        const channel = fresh("doomed");
        const { args, heartbeatTtlMs } = process();
        const { west, port } = await startWestProcess([
          "--port",
          "0",
          "--redis-heartbeat-ttl-ms",
          String(heartbeatTtlMs),
          ...args,
        ]);
        const socket = await connect(`ws://127.0.0.1:${port}`, "json", "doomed");
        socket.send(JSON.stringify({ event: "register", channel, id: "1" }));
        assert.equal(JSON.parse(String(await socket.take(5000))).event, "registration_succeeded");
        const outcome = n1.client("asker").request(channel, "x", { timeoutMs: 1500 });
        const delivered = JSON.parse(String(await socket.take(5000))) as Delivery;
        assert.match(delivered.reply_to as string, TOKEN);
        west.signal("SIGKILL");
        assert.equal((await outcome).event, "request_timeout");
        // The dead node stays in the registry until its heartbeat record expires: the suites after this one start
        // nodes with other channel rules, which a live node with different rules would refuse.
        await new Promise((resolve) => setTimeout(resolve, heartbeatTtlMs));
      });
  });
}
