import { createServer } from "node:net";

/** A Redis Cluster node also listens on its port + 10000 (the cluster bus). */
export const CLUSTER_BUS_OFFSET = 10_000;

/** True when a listener could bind 127.0.0.1:`port` just now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host: "127.0.0.1", exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A loopback port the OS found free a moment ago. */
export function osFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1", exclusive: true }, () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}

/**
 * A free loopback port whose `offsets` (e.g. the cluster bus at +10000, or the next nodes' ports at +1, +2)
 * are free too, none of them in `avoid`. Free a moment ago: the caller retries if it loses a race.
 */
export async function freePortWith(offsets: readonly number[] = [], avoid: ReadonlySet<number> = new Set()) {
  const highest = Math.max(0, ...offsets);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = await osFreePort();
    const all = [port, ...offsets.map((offset) => port + offset)];
    if (port + highest > 65535 || all.some((candidate) => avoid.has(candidate))) continue;
    if ((await Promise.all(all.slice(1).map(isPortFree))).every(Boolean)) return port;
  }
  throw new Error(`found no free loopback port with free ports at +${offsets.join(", +")}`);
}
