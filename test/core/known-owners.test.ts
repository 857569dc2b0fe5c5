import assert from "node:assert/strict";
import { it } from "node:test";
import { KnownOwners } from "../../src/core/known-owners.js";

it("known owners: bounded (the oldest goes), and forgotten only while they still name the same owner", () => {
  const known = new KnownOwners(2);
  known.remember("a", { nodeId: "n1", sessionId: 1 });
  known.remember("b", { nodeId: "n1", sessionId: 2 });
  known.remember("a", { nodeId: "n2", sessionId: 3 });
  assert.deepEqual(known.get("a"), { nodeId: "n2", sessionId: 3 }, "updating an entry evicts nothing");
  known.remember("c", { nodeId: "n1", sessionId: 4 });
  assert.equal(known.get("a"), undefined, "the oldest entry went");
  assert.deepEqual(known.get("b"), { nodeId: "n1", sessionId: 2 });
  known.forget("b", { nodeId: "n1", sessionId: 9 });
  assert.deepEqual(known.get("b"), { nodeId: "n1", sessionId: 2 }, "another owner's answer forgets nothing");
  known.forget("b", { nodeId: "n1", sessionId: 2 });
  assert.equal(known.get("b"), undefined);
});
