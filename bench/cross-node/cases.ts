import type { DialectName } from "../systems/dialect.js";
import type { CrossNodeConfig } from "./config.js";
import type { Deployment } from "./deployment.js";
import { crossFanout } from "./fanout.js";
import { crossOneClient } from "./one-client.js";
import { crossPairs } from "./pairs.js";
import type { CrossCase, CrossRun } from "./records.js";

/** Cases measured on one set of connections: a run gives a CrossRun per case, in order. */
export interface CrossScenario {
  cases: CrossCase[];
  run(deployment: Deployment, dialect: DialectName): Promise<CrossRun[]>;
}

const count = (n: number) => n.toLocaleString("en-US");

/** The section's scenarios, in report order. */
export function crossScenarios(config: CrossNodeConfig): CrossScenario[] {
  const { fanout, pairs, p2p, oneClient } = config;
  return [
    {
      cases: fanout.windows.map((window) => ({
        kind: "fanout",
        id: `fanout/w${window}`,
        title: `fan-out: 1 publisher on node 1, ${count(fanout.subscribers)} subscribers on 3 nodes, ${count(window)} in flight`,
        params: { subscribers: fanout.subscribers, window },
      })),
      run: (deployment, dialect) => crossFanout(deployment, dialect, fanout),
    },
    {
      cases: [
        {
          kind: "pairs",
          id: "pairs",
          title: `pairs: ${count(pairs.pairs)} publisher/subscriber pairs on channels of their own, on 2 nodes each, 1 in flight each`,
          params: { ...pairs },
        },
      ],
      run: async (deployment, dialect) => [await crossPairs("pairs", deployment, dialect, pairs)],
    },
    {
      cases: [
        {
          kind: "p2p",
          id: "p2p",
          title: `p2p: ${count(p2p.pairs)} senders to ${count(p2p.pairs)} owners on another node, 1 in flight each`,
          params: { ...p2p },
        },
      ],
      run: async (deployment, dialect) => [await crossPairs("p2p", deployment, dialect, p2p)],
    },
    {
      cases: oneClient.windows.map((window) => ({
        kind: "one-client",
        id: `one-client/w${window}`,
        title: `one client on node 1, ${count(window)} in flight, ${count(oneClient.subscribers)} subscribers on node 2`,
        params: { subscribers: oneClient.subscribers, window },
      })),
      run: (deployment, dialect) => crossOneClient(deployment, dialect, oneClient),
    },
  ];
}
