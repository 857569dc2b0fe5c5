import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Reason } from "../../src/core/message.js";
import { PROTOCOL_NAMES, type ProtocolName } from "../../src/protocols/codec.js";
import {
  connect,
  decodeFrame,
  listeningNode,
  type ProtocolClient,
  pbFrame,
  protocolClient,
  type WireMessage,
  watchedAdapter,
} from "../helpers/ws-client.js";

/**
 * The reply a client of `protocol` reads: text replies carry no id and no reason; the text pong is the bare frame
 * `pong`.
 */
function expected(
  protocol: ProtocolName,
  event: string,
  channel?: string,
  id?: string,
  reason?: Reason,
): WireMessage {
  if (protocol === "text") return event === "pong" ? { event } : { event, from: "west", channel };
  const message: WireMessage = { event, from: "west" };
  if (channel !== undefined) message.channel = channel;
  if (id !== undefined) message.id = id;
  if (reason !== undefined) message.reason = reason;
  return message;
}

/** The exact text frame of a reply, as the original WEST wrote it (no reason: the text protocol is as it was). */
function textReply(event: string, channel?: string): string {
  if (event === "pong") return event;
  return channel === undefined ? `west:${event}` : `west ${channel}:${event}`;
}

function delivery(protocol: ProtocolName, from: string, channel: string, text: string): WireMessage {
  return { event: "new_message", from, channel, data: protocol === "pb" ? Buffer.from(text, "utf8") : text };
}

const INVALID_CHANNELS: [string, string, Reason][] = [
  ["a double quote", 'a"b', "channel name contains a quote"],
  ["a control character", "a\u0001b", "channel name contains a control character"],
  ["257 bytes", "x".repeat(257), "channel name too long"],
  [
    "a right-to-left override (U+202E, format character)",
    "report\u202Efdp.exe",
    "channel name contains a format character",
  ],
  ["a zero-width space (U+200B, format character)", "a\u200Bb", "channel name contains a format character"],
];

describe("the command table over WebSockets", async () => {
  const watched = watchedAdapter();
  const node = await listeningNode({ adapter: watched.factory });

  for (const protocol of PROTOCOL_NAMES) {
    describe(`${protocol} protocol`, () => {
      let n = 0;
      /** A fresh client of this protocol, and a channel name no other test uses. */
      const client = (name: string): Promise<ProtocolClient> =>
        protocolClient(node.wsUrl, protocol, `${protocol}-${name}`);
      const channel = (name: string) => `${protocol}-${name}-${++n}`;
      /**
       * Checks the reply to `command`; `id` is sent and must come back on json and pb, with `reason` when given;
       * a text reply is checked frame for frame.
       */
      const answers = async (
        c: ProtocolClient,
        command: { event: string; channel?: string; data?: unknown },
        event: string,
        reason?: Reason,
      ) => {
        const id = `id-${++n}`;
        c.command({ ...command, id });
        const frame = await c.socket.take();
        const what = `${JSON.stringify(command)} is answered ${event}${reason === undefined ? "" : ` (${reason})`}`;
        if (protocol === "text") assert.equal(frame, textReply(event, command.channel), what);
        else
          assert.deepEqual(
            decodeFrame(protocol, frame),
            expected(protocol, event, command.channel, id, reason),
            what,
          );
      };

      it("ping is answered pong", async () => {
        const a = await client("pinger");
        await answers(a, { event: "ping" }, "pong");
      });

      it("register: succeeded, already_exist for the holder, denied for another client", async () => {
        const a = await client("reg-a");
        const b = await client("reg-b");
        const ch = channel("r");
        await answers(a, { event: "register", channel: ch }, "registration_succeeded");
        await answers(a, { event: "register", channel: ch }, "registration_already_exist");
        await answers(b, { event: "register", channel: ch }, "registration_denied");
      });

      /** Each command's *_failed reply for `channel`, with `reason` (json, pb) or frame for frame (text). */
      const failsEveryCommand = async (channel: string | undefined, reason: Reason) => {
        const a = await client("invalid");
        await answers(a, { event: "register", channel }, "registration_failed", reason);
        await answers(a, { event: "unregister", channel }, "unregistration_failed", reason);
        await answers(a, { event: "send", channel, data: "x" }, "sending_failed", reason);
        await answers(a, { event: "subscribe", channel }, "subscription_failed", reason);
        await answers(a, { event: "unsubscribe", channel }, "unsubscription_failed", reason);
        await answers(a, { event: "publish", channel, data: "x" }, "publication_failed", reason);
      };

      for (const [what, name, reason] of INVALID_CHANNELS) {
        it(`a channel name with ${what} gets each command's *_failed reply${protocol === "text" ? "" : `: ${reason}`}`, async () => {
          await failsEveryCommand(name, reason);
        });
      }

      if (protocol === "text") {
        it("a command without its channel or data is action_not_allowed (missing parts)", async () => {
          const a = await client("missing");
          for (const frame of ["reg", "unreg", "sub", "unsub", "send", "pub", "send r1", "pub ps1"]) {
            a.socket.send(frame);
            assert.equal(await a.socket.take(), "west:action_not_allowed", frame);
          }
        });

        it("an empty quoted channel is an invalid channel", async () => {
          const a = await client("empty-channel");
          a.socket.send('reg ""');
          assert.equal(await a.socket.take(), "west :registration_failed");
        });

        it("a quoted channel with whitespace is an invalid channel, and its reply frame is as it was", async () => {
          const a = await client("space-channel");
          a.socket.send('sub "a b"');
          assert.equal(await a.socket.take(), "west a b:subscription_failed");
        });
      } else {
        it("a command without a channel gets its *_failed reply: missing channel", async () => {
          await failsEveryCommand(undefined, "missing channel");
        });

        it("an empty channel gets its *_failed reply: channel name is empty", async () => {
          await failsEveryCommand("", "channel name is empty");
        });

        for (const [what, name] of [
          ["a space", "a b"],
          ["a tab", "a\tb"],
          ["a no-break space (U+00A0)", "a\u00a0b"],
        ]) {
          it(`a channel name with ${what} gets each command's *_failed reply: channel name contains whitespace`, async () => {
            await failsEveryCommand(name, "channel name contains whitespace");
          });
        }

        it("a channel name whose first bad character is a quote is named for it, not for the space after it", async () => {
          await failsEveryCommand('a" b', "channel name contains a quote");
        });

        it("a channel name both too long and with a space is named too long", async () => {
          await failsEveryCommand(`${"x".repeat(256)} `, "channel name too long");
        });

        it("send and publish without data fail, also to a live owner and subscriber: missing data", async () => {
          const owner = await client("nodata-owner");
          const sender = await client("nodata-sender");
          const ch = channel("nodata");
          await answers(owner, { event: "register", channel: ch }, "registration_succeeded");
          await answers(owner, { event: "subscribe", channel: ch }, "subscription_succeeded");
          await answers(sender, { event: "send", channel: ch }, "sending_failed", "missing data");
          await answers(sender, { event: "publish", channel: ch }, "publication_failed", "missing data");
          await answers(owner, { event: "ping" }, "pong");
          assert.deepEqual(owner.socket.received, [], "nothing was delivered");
        });
      }

      if (protocol === "json") {
        it("a channel name with a lone surrogate (a JSON escape) gets *_failed: channel name is not valid UTF-8", async () => {
          await failsEveryCommand("a\ud800", "channel name is not valid UTF-8");
        });

        it("null data is missing data", async () => {
          const a = await client("null-data");
          await answers(
            a,
            { event: "send", channel: channel("n"), data: null },
            "sending_failed",
            "missing data",
          );
          await answers(
            a,
            { event: "publish", channel: channel("n"), data: null },
            "publication_failed",
            "missing data",
          );
        });
      }

      it("unregister: succeeded for the holder, registration_not_found for anyone else and afterwards", async () => {
        const a = await client("unreg-a");
        const b = await client("unreg-b");
        const ch = channel("u");
        await answers(a, { event: "register", channel: ch }, "registration_succeeded");
        await answers(b, { event: "unregister", channel: ch }, "registration_not_found");
        await answers(a, { event: "unregister", channel: ch }, "unregistration_succeeded");
        await answers(a, { event: "unregister", channel: ch }, "registration_not_found");
        await answers(b, { event: "register", channel: ch }, "registration_succeeded");
      });

      it("send: succeeded to a live owner, who gets it from the sender's key; not_found without owner", async () => {
        const owner = await client("send-owner");
        const sender = await client("send-sender");
        const ch = channel("s");
        await answers(owner, { event: "register", channel: ch }, "registration_succeeded");
        await answers(sender, { event: "send", channel: ch, data: "hello there" }, "sending_succeeded");
        assert.deepEqual(await owner.take(), delivery(protocol, sender.key, ch, "hello there"));
        await answers(
          sender,
          { event: "send", channel: channel("nobody"), data: "x" },
          "registration_not_found",
        );
      });

      if (protocol !== "text") {
        it("a from field in a command is ignored: deliveries are from the connection's key", async () => {
          const owner = await client("spoof-owner");
          const sender = await client("spoof-sender");
          const ch = channel("spoof");
          await answers(owner, { event: "register", channel: ch }, "registration_succeeded");
          await answers(owner, { event: "subscribe", channel: ch }, "subscription_succeeded");
          for (const event of ["send", "publish"]) {
            const frame =
              protocol === "json"
                ? JSON.stringify({ event, channel: ch, data: "x", from: "mallory" })
                : pbFrame({ event, channel: ch, data: "x", from: "mallory" });
            sender.socket.send(frame);
            assert.equal((await sender.take()).from, "west");
            assert.deepEqual(await owner.take(), delivery(protocol, sender.key, ch, "x"));
          }
        });
      }

      it("send after the owner unregistered is registration_not_found", async () => {
        const owner = await client("send-gone-owner");
        const sender = await client("send-gone-sender");
        const ch = channel("s");
        await answers(owner, { event: "register", channel: ch }, "registration_succeeded");
        await answers(owner, { event: "unregister", channel: ch }, "unregistration_succeeded");
        await answers(sender, { event: "send", channel: ch, data: "x" }, "registration_not_found");
      });

      it("send of empty data is data: succeeded, and the owner gets empty data", async () => {
        const owner = await client("empty-owner");
        const sender = await client("empty-sender");
        const ch = channel("e");
        await answers(owner, { event: "register", channel: ch }, "registration_succeeded");
        await answers(sender, { event: "send", channel: ch, data: "" }, "sending_succeeded");
        assert.deepEqual(await owner.take(), delivery(protocol, sender.key, ch, ""));
      });

      it("an owner can send to itself", async () => {
        const owner = await client("self");
        const ch = channel("self");
        await answers(owner, { event: "register", channel: ch }, "registration_succeeded");
        owner.command({ event: "send", channel: ch, data: "me", id: "s" });
        const frames = [await owner.take(), await owner.take()];
        assert.deepEqual(new Set(frames.map((m) => m.event)), new Set(["sending_succeeded", "new_message"]));
        assert.deepEqual(
          frames.find((m) => m.event === "new_message"),
          delivery(protocol, owner.key, ch, "me"),
        );
      });

      it("subscribe: succeeded, then already_exist", async () => {
        const a = await client("sub");
        const ch = channel("ps");
        await answers(a, { event: "subscribe", channel: ch }, "subscription_succeeded");
        await answers(a, { event: "subscribe", channel: ch }, "subscription_already_exist");
      });

      it("unsubscribe: succeeded, then subscription_not_found; never subscribed is not_found", async () => {
        const a = await client("unsub");
        const ch = channel("ps");
        await answers(a, { event: "unsubscribe", channel: ch }, "subscription_not_found");
        await answers(a, { event: "subscribe", channel: ch }, "subscription_succeeded");
        await answers(a, { event: "unsubscribe", channel: ch }, "unsubscription_succeeded");
        await answers(a, { event: "unsubscribe", channel: ch }, "subscription_not_found");
      });

      it("publish: succeeded with no subscriber", async () => {
        const a = await client("pub-alone");
        await answers(a, { event: "publish", channel: channel("empty"), data: "x" }, "publication_succeeded");
      });

      it("publish reaches every subscriber, the publisher included, from the publisher's key", async () => {
        const publisher = await client("pub");
        const s1 = await client("pub-s1");
        const s2 = await client("pub-s2");
        const ch = channel("ps");
        for (const c of [publisher, s1, s2]) {
          await answers(c, { event: "subscribe", channel: ch }, "subscription_succeeded");
        }
        publisher.command({ event: "publish", channel: ch, data: "All", id: "p" });
        const own = [await publisher.take(), await publisher.take()];
        assert.deepEqual(
          own.find((m) => m.event === "new_message"),
          delivery(protocol, publisher.key, ch, "All"),
        );
        assert.deepEqual(
          own.find((m) => m.event !== "new_message"),
          expected(protocol, "publication_succeeded", ch, "p"),
        );
        assert.deepEqual(await s1.take(), delivery(protocol, publisher.key, ch, "All"));
        assert.deepEqual(await s2.take(), delivery(protocol, publisher.key, ch, "All"));
      });

      it("after unsubscribe, publishes no longer arrive", async () => {
        const publisher = await client("unsub-pub");
        const leaver = await client("unsub-leaver");
        const stayer = await client("unsub-stayer");
        const ch = channel("ps");
        await answers(leaver, { event: "subscribe", channel: ch }, "subscription_succeeded");
        await answers(stayer, { event: "subscribe", channel: ch }, "subscription_succeeded");
        await answers(leaver, { event: "unsubscribe", channel: ch }, "unsubscription_succeeded");
        await answers(publisher, { event: "publish", channel: ch, data: "after" }, "publication_succeeded");
        assert.deepEqual(await stayer.take(), delivery(protocol, publisher.key, ch, "after"));
        await answers(leaver, { event: "ping" }, "pong");
        assert.deepEqual(leaver.socket.received, []);
      });

      it("a channel name may be used for send and publish at once; the two are separate", async () => {
        const owner = await client("both-owner");
        const subscriber = await client("both-sub");
        const sender = await client("both-sender");
        const ch = channel("both");
        await answers(owner, { event: "register", channel: ch }, "registration_succeeded");
        await answers(subscriber, { event: "subscribe", channel: ch }, "subscription_succeeded");
        await answers(sender, { event: "send", channel: ch, data: "direct" }, "sending_succeeded");
        await answers(sender, { event: "publish", channel: ch, data: "broadcast" }, "publication_succeeded");
        assert.deepEqual(await owner.take(), delivery(protocol, sender.key, ch, "direct"));
        assert.deepEqual(await subscriber.take(), delivery(protocol, sender.key, ch, "broadcast"));
        await answers(owner, { event: "ping" }, "pong");
        await answers(subscriber, { event: "ping" }, "pong");
      });

      it("an unknown command is action_not_allowed and the connection stays", async () => {
        const a = await client("unknown");
        if (protocol === "text") {
          a.socket.send("dance now");
          assert.equal(await a.socket.take(), "west:action_not_allowed");
        } else {
          await answers(a, { event: "dance", channel: "floor" }, "action_not_allowed");
          await answers(a, { event: "PING" }, "action_not_allowed");
          await answers(a, { event: "" }, "action_not_allowed");
        }
        await answers(a, { event: "ping" }, "pong");
      });

      if (protocol !== "pb") {
        it("bye closes the connection with 1000", async () => {
          const a = await client("bye");
          a.socket.send("bye");
          assert.equal(await a.socket.closedWith(), 1000);
        });
      }

      it("many commands in flight are answered in order", async () => {
        const a = await client("pipeline");
        const ch = channel("pipe");
        const commands = [
          { event: "register", channel: ch },
          { event: "register", channel: ch },
          { event: "subscribe", channel: ch },
          { event: "unregister", channel: ch },
          { event: "unregister", channel: ch },
          { event: "unsubscribe", channel: ch },
          { event: "ping" },
        ];
        for (const [i, command] of commands.entries()) a.command({ ...command, id: `${i}` });
        const events = [];
        for (let i = 0; i < commands.length; i++) events.push((await a.take()).event);
        assert.deepEqual(events, [
          "registration_succeeded",
          "registration_already_exist",
          "subscription_succeeded",
          "unregistration_succeeded",
          "registration_not_found",
          "unsubscription_succeeded",
          "pong",
        ]);
      });

      it("when the owner's socket closes its registration is free again and its subscriptions are dropped", async () => {
        const leaver = await client("leaver");
        const other = await client("other");
        const reg = channel("closed-reg");
        const sub = channel("closed-sub");
        await answers(leaver, { event: "register", channel: reg }, "registration_succeeded");
        await answers(leaver, { event: "subscribe", channel: sub }, "subscription_succeeded");
        await answers(other, { event: "register", channel: reg }, "registration_denied");
        leaver.socket.ws.close(1000);
        assert.equal(await leaver.socket.closedWith(), 1000);
        await watched.seen(`release ${reg}`);
        await watched.seen(`unsubscribe ${sub}`);
        await answers(other, { event: "send", channel: reg, data: "x" }, "registration_not_found");
        await answers(other, { event: "register", channel: reg }, "registration_succeeded");
      });

      it("the same key on two connections is two clients", async () => {
        const first = await client("twin");
        const second = await client("twin");
        assert.equal(first.key, second.key);
        const reg = channel("twin-reg");
        const sub = channel("twin-sub");
        await answers(first, { event: "register", channel: reg }, "registration_succeeded");
        await answers(second, { event: "register", channel: reg }, "registration_denied");
        await answers(second, { event: "unregister", channel: reg }, "registration_not_found");
        await answers(second, { event: "send", channel: reg, data: "to my twin" }, "sending_succeeded");
        assert.deepEqual(await first.take(), delivery(protocol, first.key, reg, "to my twin"));
        await answers(first, { event: "subscribe", channel: sub }, "subscription_succeeded");
        await answers(second, { event: "unsubscribe", channel: sub }, "subscription_not_found");
        await answers(second, { event: "subscribe", channel: sub }, "subscription_succeeded");
        second.socket.ws.close(1000);
        await second.socket.closedWith();
        await answers(first, { event: "register", channel: reg }, "registration_already_exist");
        const publisher = await client("twin-publisher");
        await answers(
          publisher,
          { event: "publish", channel: sub, data: "still here" },
          "publication_succeeded",
        );
        assert.deepEqual(await first.take(), delivery(protocol, publisher.key, sub, "still here"));
      });
    });
  }

  describe("JSON ids", () => {
    it("a string id and a number id come back unchanged, as the same JSON type", async () => {
      const socket = await connect(node.wsUrl, "json", "json-ids");
      const cases: [string, unknown][] = [
        ['{"event":"ping","id":"7"}', { event: "pong", from: "west", id: "7" }],
        ['{"event":"ping","id":7}', { event: "pong", from: "west", id: 7 }],
        ['{"event":"ping","id":0}', { event: "pong", from: "west", id: 0 }],
        ['{"event":"ping","id":-2.5}', { event: "pong", from: "west", id: -2.5 }],
        ['{"event":"ping","id":""}', { event: "pong", from: "west", id: "" }],
        [
          '{"event":"register","channel":"json-id-ch","id":42}',
          { event: "registration_succeeded", from: "west", channel: "json-id-ch", id: 42 },
        ],
        [
          '{"event":"publish","channel":"json-id-ch","data":1,"id":"42"}',
          { event: "publication_succeeded", from: "west", channel: "json-id-ch", id: "42" },
        ],
      ];
      for (const [frame, reply] of cases) {
        socket.send(frame);
        const raw = await socket.take();
        assert.deepEqual(JSON.parse(raw as string), reply, frame);
      }
    });

    it("a reply without an id has no id field", async () => {
      const socket = await connect(node.wsUrl, "json", "json-no-id");
      socket.send('{"event":"ping"}');
      assert.equal(await socket.take(), '{"event":"pong","from":"west"}');
    });
  });
});
