import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type Socket } from "node:net";
import { describe, it } from "node:test";
import { setImmediate as nextIteration, setTimeout as sleep } from "node:timers/promises";
import { Recorder } from "../../bench/chaos/recorder.js";

function turns(recorder: Recorder): (number | undefined)[] {
  return recorder.events.map((event) => event.turn);
}

describe("chaos recorder", () => {
  it("stamps the events of one event-loop turn with one turn, the next turn that recorded anything with the next", async () => {
    const recorder = new Recorder();
    recorder.record({ type: "harness_error", message: "a" });
    await Promise.resolve();
    recorder.record({ type: "harness_error", message: "b" });
    await nextIteration();
    recorder.record({ type: "harness_error", message: "c" });
    await sleep(20);
    await nextIteration();
    recorder.record({ type: "harness_error", message: "d" });
    assert.deepEqual(turns(recorder), [0, 0, 1, 2]);
  });

  it("gives data of several sockets read in one burst one turn", async () => {
    const server = createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    assert.ok(address !== null && typeof address === "object");
    const accepted: Socket[] = [];
    server.on("connection", (socket) => accepted.push(socket));
    const clients = [connect(address.port, "127.0.0.1"), connect(address.port, "127.0.0.1")];
    await Promise.all(clients.map((client) => once(client, "connect")));
    while (accepted.length < 2) await nextIteration();
    try {
      const recorder = new Recorder();
      const read = clients.map(
        (client, n) =>
          new Promise<void>((resolve) =>
            client.once("data", () => {
              recorder.record({ type: "harness_error", message: `socket ${n}` });
              resolve();
            }),
          ),
      );
      for (const socket of accepted) socket.write("x");
      // The driver stalls while both arrive: it reads both sockets in the same poll.
      const until = performance.now() + 50;
      while (performance.now() < until);
      await Promise.all(read);
      assert.deepEqual(turns(recorder), [0, 0]);
    } finally {
      for (const socket of [...clients, ...accepted]) socket.destroy();
      server.close();
    }
  });
});
