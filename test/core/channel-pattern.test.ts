import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compilePattern, matchesPattern, type PatternSubject } from "../../src/core/channel-pattern.js";

const alice: PatternSubject = { key: "alice", claims: { team: "red", org: { unit: "ops" }, n: 7 } };

function matches(pattern: string, channel: string, subject: PatternSubject = alice): boolean {
  return matchesPattern(compilePattern(pattern), channel, subject);
}

describe("channel patterns: `*` is one segment, `>` the rest", () => {
  it("a literal pattern matches only that name", () => {
    assert.equal(matches("news", "news"), true);
    assert.equal(matches("news", "news2"), false);
    assert.equal(matches("news", "new"), false);
    assert.equal(matches("news.sport", "news.sport"), true);
    assert.equal(matches("news.sport", "news.sport.x"), false);
    assert.equal(matches("news.sport", "news"), false);
  });

  it("`*` matches exactly one non-empty segment", () => {
    assert.equal(matches("news.*", "news.sport"), true);
    assert.equal(matches("news.*", "news.sport.football"), false);
    assert.equal(matches("news.*", "news"), false);
    assert.equal(matches("news.*", "news."), false);
    assert.equal(matches("*.sport", "news.sport"), true);
    assert.equal(matches("*.sport", ".sport"), false);
    assert.equal(matches("*", "anything"), true);
    assert.equal(matches("*", "a.b"), false);
    assert.equal(matches("a.*.c", "a.b.c"), true);
    assert.equal(matches("a.*.c", "a..c"), false);
  });

  it("`>` matches one or more segments at the end", () => {
    assert.equal(matches("news.>", "news.sport"), true);
    assert.equal(matches("news.>", "news.sport.football.live"), true);
    assert.equal(matches("news.>", "news"), false);
    assert.equal(matches("news.>", "news."), false);
    assert.equal(matches("news.>", "newsroom.x"), false);
    assert.equal(matches(">", "a"), true);
    assert.equal(matches(">", "a.b.c"), true);
  });

  it("{key} is the client's key, within its segment", () => {
    assert.equal(matches("user.{key}.*", "user.alice.inbox"), true);
    assert.equal(matches("user.{key}.*", "user.bob.inbox"), false);
    assert.equal(matches("user.{key}.*", "user.alice"), false);
    assert.equal(matches("user.{key}", "user.alice"), true);
    assert.equal(matches("inbox-{key}", "inbox-alice"), true);
    assert.equal(matches("inbox-{key}", "inbox-alicex"), false);
    assert.equal(matches("{key}-to-{key}", "alice-to-alice"), true);
    assert.equal(matches("{key}-to-{key}", "alice-to-bob"), false);
  });

  it("{claims.NAME} is a string claim, nested names with dots; unfillable placeholders match nothing", () => {
    assert.equal(matches("team.{claims.team}.*", "team.red.chat"), true);
    assert.equal(matches("team.{claims.team}.*", "team.blue.chat"), false);
    assert.equal(matches("unit.{claims.org.unit}", "unit.ops"), true);
    assert.equal(matches("n.{claims.n}", "n.7"), false, "a number claim does not fill a placeholder");
    assert.equal(matches("x.{claims.missing}", "x.undefined"), false);
    assert.equal(matches("x.{claims.team}", "x.red", { key: "k", claims: undefined }), false);
  });

  it("a value with a dot never fills a placeholder, so it cannot reach into other segments", () => {
    const dotted: PatternSubject = { key: "a.b", claims: { team: "red.blue" } };
    assert.equal(matches("user.{key}.*", "user.a.b.inbox", dotted), false);
    assert.equal(matches("user.{key}.>", "user.a.b.inbox", dotted), false);
    assert.equal(matches("team.{claims.team}", "team.red.blue", dotted), false);
    assert.equal(matches("user.{key}.>", "user.a.b.inbox", { key: "a", claims: undefined }), true);
  });

  it("a pattern with no wildcard or placeholder matches exactly its own text", () => {
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
    const name = fc.array(segment, { minLength: 1, maxLength: 4 }).map((parts) => parts.join("."));
    fc.assert(
      fc.property(name, name, (pattern, channel) => {
        assert.equal(matches(pattern, channel), pattern === channel);
      }),
    );
  });

  it("`*` matches exactly the names with that many segments, all non-empty", () => {
    const segment = fc.stringMatching(/^[a-z]{0,3}$/);
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (parts, n) => {
          const pattern = Array.from({ length: n }, () => "*").join(".");
          const channel = parts.join(".");
          assert.equal(matches(pattern, channel), parts.length === n && parts.every((part) => part !== ""));
        },
      ),
    );
  });
});

describe("channel patterns: bad patterns are refused when compiled", () => {
  for (const [pattern, fragment] of [
    ["", "non-empty string"],
    ["a..b", "empty segment"],
    [".a", "empty segment"],
    ["a.", "empty segment"],
    ["a.>.b", "last segment"],
    ["a*", "whole segments"],
    ["a.b>", "whole segments"],
    ["user.{key", "unclosed"],
    ["user.key}", "without `{`"],
    ["user.{name}", "unknown placeholder {name}"],
    ["user.{claims}", "needs a claim name"],
    ["user.{claims.}", "needs a claim name"],
    ["a b", "whitespace"],
    ["{{key}}", "inside a placeholder"],
  ] as const) {
    it(`${JSON.stringify(pattern)}: ${fragment}`, () => {
      assert.throws(
        () => compilePattern(pattern),
        (error: Error) => error instanceof TypeError && error.message.includes(fragment),
      );
    });
  }

  it("a pattern that is not a string", () => {
    assert.throws(() => compilePattern(7), TypeError);
  });
});
