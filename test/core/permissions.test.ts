import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Permissions } from "../../src/core/permissions.js";

const rules = Permissions.compile({
  default: "deny",
  rules: [
    { actions: ["register", "send", "subscribe", "publish"], channels: "user.{key}.*" },
    { actions: ["subscribe"], channels: "news.*" },
    { actions: ["publish"], channels: "news.*", keys: ["editor"] },
    { actions: ["publish"], channels: ["news.locked", "alerts.>"], effect: "deny" },
    { actions: ["publish"], channels: ["alerts.*"] },
    { actions: ["subscribe", "publish"], channels: "team.{claims.team}.*", claims: { role: "member" } },
  ],
});

const alice = { key: "alice", claims: undefined };
const editor = { key: "editor", claims: undefined };
const member = { key: "m", claims: { team: "red", role: "member" } };

describe("permission rules: the first matching rule decides, else the default", () => {
  it("personal channels through {key}", () => {
    assert.equal(rules.allows("register", "user.alice.inbox", alice), true);
    assert.equal(rules.allows("send", "user.alice.inbox", alice), true);
    assert.equal(rules.allows("register", "user.bob.inbox", alice), false);
  });

  it("an action a rule does not list is not allowed by it", () => {
    assert.equal(rules.allows("subscribe", "news.sport", alice), true);
    assert.equal(rules.allows("publish", "news.sport", alice), false);
    assert.equal(rules.allows("register", "news.sport", alice), false);
  });

  it("keys restrict a rule to those clients", () => {
    assert.equal(rules.allows("publish", "news.sport", editor), true);
  });

  it("a deny rule before an allow rule wins", () => {
    assert.equal(rules.allows("publish", "news.locked", editor), true, "the editor rule comes first");
    assert.equal(rules.allows("publish", "alerts.fire", alice), false, "denied by alerts.> before alerts.*");
  });

  it("claims: equal to the value, or an array that contains it", () => {
    assert.equal(rules.allows("publish", "team.red.chat", member), true);
    assert.equal(rules.allows("publish", "team.blue.chat", member), false);
    assert.equal(
      rules.allows("publish", "team.red.chat", { key: "x", claims: { team: "red", role: "guest" } }),
      false,
    );
    const roles = { key: "x", claims: { team: "red", role: ["guest", "member"] } };
    assert.equal(rules.allows("subscribe", "team.red.chat", roles), true);
    assert.equal(rules.allows("subscribe", "team.red.chat", { key: "x", claims: undefined }), false);
  });

  it("default allow lets through what no rule denies", () => {
    const open = Permissions.compile({
      default: "allow",
      rules: [{ actions: ["publish"], channels: "system.>", effect: "deny" }],
    });
    assert.equal(open.allows("publish", "chat", alice), true);
    assert.equal(open.allows("publish", "system.reboot", alice), false);
    assert.equal(open.allows("subscribe", "system.reboot", alice), true);
  });

  it("the default default is deny", () => {
    assert.equal(Permissions.compile({ rules: [] }).allows("subscribe", "x", alice), false);
  });
});

describe("permission rules: a bad config says what is wrong and where", () => {
  const bad = (config: unknown, ...fragments: string[]) =>
    assert.throws(
      () => Permissions.compile(config),
      (error: Error) =>
        error instanceof TypeError && fragments.every((fragment) => error.message.includes(fragment)),
    );

  it("refuses each kind of mistake", () => {
    bad([], "permissions must be a JSON object");
    bad({ default: "maybe", rules: [] }, "permissions.default");
    bad({ rules: {} }, "permissions.rules must be an array");
    bad({ rules: [], extra: 1 }, 'unknown key "extra" in permissions');
    bad(
      { rules: [{ actions: ["read"], channels: "a" }] },
      'unknown action "read"',
      "permissions.rules[0].actions",
    );
    bad({ rules: [{ actions: ["unsubscribe"], channels: "a" }] }, "always allowed");
    bad({ rules: [{ actions: [], channels: "a" }] }, "non-empty array");
    bad({ rules: [{ actions: ["send"] }] }, "permissions.rules[0].channels");
    bad({ rules: [{ actions: ["send"], channels: "a", effect: "maybe" }] }, "permissions.rules[0].effect");
    bad({ rules: [{ actions: ["send"], channels: [] }] }, "permissions.rules[0].channels");
    bad(
      {
        rules: [
          { actions: ["send"], channels: "ok" },
          { actions: ["send"], channels: "a.>.b" },
        ],
      },
      "bad channel pattern",
      "permissions.rules[1].channels",
    );
    bad({ rules: [{ actions: ["send"], channels: "a", keys: ["west"] }] }, "permissions.rules[0].keys");
    bad({ rules: [{ actions: ["send"], channels: "a", keys: "alice" }] }, "permissions.rules[0].keys");
    bad(
      { rules: [{ actions: ["send"], channels: "a", claims: { role: ["x"] } }] },
      "permissions.rules[0].claims.role",
    );
    bad({ rules: [{ actions: ["send"], channels: "a", claims: { "": "x" } }] }, "bad claim name");
    bad({ rules: [{ actions: ["send"], channels: "a", who: "me" }] }, 'unknown key "who"');
  });
});
