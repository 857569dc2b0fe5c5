import assert from "node:assert/strict";
import { it } from "node:test";
import { renderFuzzReport } from "../helpers/fuzz/fuzz-report.js";
import { runFuzz } from "../helpers/fuzz/run-fuzz.js";
import { listeningNode } from "../helpers/ws-client.js";

/** Fixed so that a run can be repeated; WEST_FUZZ_SEED=N tries another. */
const SEED = Number(process.env.WEST_FUZZ_SEED ?? 20261126);
const FRAMES = 20_000;

it(`${FRAMES} random and mutated frames on the three endpoints: every frame gets one reply or its due close, well-behaved clients lose nothing, the server keeps answering`, async (t) => {
  t.diagnostic(`fuzz seed ${SEED} (repeat with WEST_FUZZ_SEED=${SEED})`);
  const node = await listeningNode();
  const result = await runFuzz({ url: node.wsUrl, frames: FRAMES, seed: SEED });
  const report = renderFuzzReport(result);
  t.diagnostic(report.split("\n")[0] as string);
  assert.deepEqual(result.failures, [], `fuzz seed ${SEED}:\n${report}`);
  const { stats, good } = result;
  const sent = Object.values(stats.sent).reduce((sum, frames) => sum + frames.text + frames.binary, 0);
  assert.equal(sent, FRAMES);
  const replies = [...stats.replies.values()].reduce((sum, n) => sum + n, 0);
  // Every frame: one reply, or the close it had to cause. With the default limits the server decides no close
  // of its own (rate, slow consumer, ...), so no frame is cut short.
  assert.equal(stats.cutByClose, 0, report);
  assert.equal(replies + stats.expectedCloses, FRAMES, report);
  assert.equal(stats.closes.get(1011), undefined, "no server fault");
  for (const code of [1000, 1007, 1009]) assert.ok((stats.closes.get(code) ?? 0) > 0, `some ${code} closes`);
  for (const event of [
    "bad_request",
    "bad_encoding",
    "action_not_allowed",
    "publication_succeeded",
    "registration_succeeded",
    "pong",
  ])
    assert.ok((stats.replies.get(event) ?? 0) > 0, `some ${event} replies`);
  assert.ok(good.sent > 0 && good.received === (good.sent / 2) * 4, report);
});
