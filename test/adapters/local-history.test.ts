import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { LocalHistory } from "../../src/adapters/local/local-history.js";
import type { Delivery } from "../../src/core/message.js";
import type { Stamped } from "../../src/core/seam.js";

const config = { size: 3, ttlSeconds: 10 };

function history() {
  let now = 1_000_000;
  const delivered: Stamped[] = [];
  const store = new LocalHistory(
    (delivery) => delivered.push(delivery),
    () => now,
  );
  after(() => store.close());
  return { store, delivered, advance: (ms: number) => (now += ms) };
}

const publication = (channel: string, data: string): Delivery => ({
  event: "new_message",
  from: "u1",
  channel,
  data,
});

describe("local history", () => {
  it("gives each publish of a channel the next offset, and delivers it stamped", () => {
    const { store, delivered } = history();
    const first = store.publish(publication("c", "a"), config);
    const second = store.publish(publication("c", "b"), config);
    const other = store.publish(publication("d", "x"), config);
    assert.equal(first.offset, 1);
    assert.equal(second.offset, 2);
    assert.equal(second.epoch, first.epoch);
    assert.equal(other.offset, 1, "offsets are per channel");
    assert.notEqual(other.epoch, first.epoch, "so are epochs");
    assert.deepEqual(
      delivered.map((d) => [d.channel, d.data, d.offset, d.epoch]),
      [
        ["c", "a", 1, first.epoch],
        ["c", "b", 2, first.epoch],
        ["d", "x", 1, other.epoch],
      ],
    );
  });

  it("keeps the last `size` publications and reads the last N or those after an offset", () => {
    const { store } = history();
    for (const data of ["a", "b", "c", "d", "e"]) store.publish(publication("c", data), config);
    const { epoch } = store.position("c", config);
    const data = (page: { entries: readonly Stamped[] }) => page.entries.map((entry) => entry.data);

    const last = store.read("c", { limit: 3 }, config);
    assert.deepEqual([last.top, last.complete, data(last)], [5, true, ["c", "d", "e"]]);
    const two = store.read("c", { limit: 2 }, config);
    assert.deepEqual([two.complete, data(two)], [true, ["d", "e"]]);
    const more = store.read("c", { limit: 5 }, config);
    assert.deepEqual([more.complete, data(more)], [false, ["c", "d", "e"]], "a and b were trimmed");

    const after2 = store.read("c", { limit: 3, after: { epoch, offset: 2 } }, config);
    assert.deepEqual([after2.complete, data(after2)], [true, ["c", "d", "e"]]);
    const after3 = store.read("c", { limit: 1, after: { epoch, offset: 3 } }, config);
    assert.deepEqual([after3.complete, data(after3)], [true, ["d"]]);
    const after1 = store.read("c", { limit: 3, after: { epoch, offset: 1 } }, config);
    assert.equal(after1.complete, false, "offset 2 is gone");
    const atTop = store.read("c", { limit: 3, after: { epoch, offset: 5 } }, config);
    assert.deepEqual([atTop.complete, data(atTop)], [true, []], "nothing missed");
    const pastTop = store.read("c", { limit: 3, after: { epoch, offset: 6 } }, config);
    assert.deepEqual([pastTop.complete, data(pastTop)], [false, []]);
    const otherEpoch = store.read("c", { limit: 3, after: { epoch: "other", offset: 2 } }, config);
    assert.deepEqual([otherEpoch.complete, data(otherEpoch)], [false, []]);
    assert.deepEqual(data(store.read("c", { limit: 0 }, config)), []);
  });

  it("a channel with no publishes has an epoch and top 0; it keeps that epoch for its first publish", () => {
    const { store } = history();
    const start = store.position("c", config);
    assert.equal(start.offset, 0);
    assert.equal(store.publish(publication("c", "a"), config).epoch, start.epoch);
    const page = store.read("c", { limit: 3, after: start }, config);
    assert.deepEqual([page.complete, page.entries.length], [true, 1]);
  });

  it("history expires ttlSeconds after the channel's last publish, and the channel starts a new epoch", () => {
    const { store, advance } = history();
    const first = store.publish(publication("c", "a"), config);
    advance(9_999);
    store.publish(publication("c", "b"), config);
    advance(9_999);
    assert.equal(store.read("c", { limit: 3 }, config).entries.length, 2, "each publish extends the expiry");
    advance(1);
    const now = store.position("c", config);
    assert.notEqual(now.epoch, first.epoch);
    assert.equal(now.offset, 0);
    const page = store.read("c", { limit: 3, after: { epoch: first.epoch, offset: 1 } }, config);
    assert.equal(page.complete, false);
    assert.equal(store.publish(publication("c", "c"), config).offset, 1);
  });

  it("another node start (another store) never repeats an epoch", () => {
    const a = history().store.position("c", config);
    const b = history().store.position("c", config);
    assert.notEqual(a.epoch, b.epoch);
  });
});
