import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ChannelFeatures, MAX_HISTORY_SIZE, NO_FEATURES } from "../../src/core/channel-features.js";

describe("channel features", () => {
  const features = ChannelFeatures.compile([
    { match: "chat.>", history: { size: 100, ttlSeconds: 600 }, presence: true, joinLeave: true },
    { match: "ticker.*", history: { size: 1, ttlSeconds: 60 } },
    { match: "chat.quiet", presence: true },
  ]);

  it("the first rule that matches a channel decides its features", () => {
    assert.deepEqual(features.of("chat.1"), {
      history: { size: 100, ttlSeconds: 600 },
      presence: true,
      joinLeave: true,
    });
    assert.deepEqual(features.of("chat.quiet").history, { size: 100, ttlSeconds: 600 }, "chat.> comes first");
    assert.deepEqual(features.of("ticker.eur"), {
      history: { size: 1, ttlSeconds: 60 },
      presence: false,
      joinLeave: false,
    });
  });

  it("a channel no rule matches has none, as without rules", () => {
    assert.equal(features.of("ticker.eur.usd"), NO_FEATURES, "* is one segment");
    assert.equal(features.of("chat"), NO_FEATURES, "> needs at least one segment");
    assert.equal(ChannelFeatures.compile([]).of("chat.1"), NO_FEATURES);
    assert.equal(features.of("chat.1"), features.of("chat.1"), "remembered, the same object");
  });

  it("anyHistory says whether a rule turns history on", () => {
    assert.equal(features.anyHistory, true);
    assert.equal(ChannelFeatures.compile([{ match: "a.*", presence: true }]).anyHistory, false);
    assert.equal(ChannelFeatures.NONE.anyHistory, false);
  });

  it("rules that act alike hash alike; rules that differ do not", () => {
    const a = ChannelFeatures.compile([{ match: "a.*", history: { size: 5, ttlSeconds: 9 } }]);
    const b = ChannelFeatures.compile([
      { match: "a.*", history: { ttlSeconds: 9, size: 5 }, presence: false },
    ]);
    const c = ChannelFeatures.compile([{ match: "a.*", history: { size: 6, ttlSeconds: 9 } }]);
    assert.equal(a.hash, b.hash);
    assert.notEqual(a.hash, c.hash);
    assert.notEqual(a.hash, ChannelFeatures.NONE.hash);
  });

  it("a bad rule is an error naming the rule and what is wrong", () => {
    const bad: [unknown, RegExp][] = [
      [{ match: "a" }, /channels must be an array/],
      [
        [{ history: { size: 1, ttlSeconds: 1 } }],
        /channels\[0\]\.match: a channel pattern is a non-empty string/,
      ],
      [[{ match: "a.>.b" }], /channels\[0\]\.match: bad channel pattern/],
      [[{ match: "user.{key}" }], /channels\[0\]\.match: a channel rule has no placeholders/],
      [
        [{ match: "a", history: { size: 0, ttlSeconds: 1 } }],
        /channels\[0\]\.history\.size must be an integer from 1 to 10000, got 0/,
      ],
      [
        [{ match: "a", history: { size: MAX_HISTORY_SIZE + 1, ttlSeconds: 1 } }],
        /history\.size must be an integer/,
      ],
      [[{ match: "a", history: { size: 1.5, ttlSeconds: 1 } }], /history\.size must be an integer/],
      [
        [{ match: "a", history: { size: 10 } }],
        /channels\[0\]\.history\.ttlSeconds must be an integer from 1 to 2592000, got undefined/,
      ],
      [
        [{ match: "a", history: { size: 10, ttlSeconds: 5, max: 3 } }],
        /unknown key "max" in channels\[0\]\.history/,
      ],
      [
        [{ match: "a" }, { match: "b", presense: true }],
        /unknown key "presense" in channels\[1\]: use match, history, presence, joinLeave/,
      ],
      [[{ match: "a", presence: "yes" }], /channels\[0\]\.presence must be true or false, got "yes"/],
      [["a.*"], /channels\[0\] must be a JSON object/],
    ];
    for (const [config, message] of bad) assert.throws(() => ChannelFeatures.compile(config), message);
  });
});
