import { SLOTS } from "./hash-slot.js";
import { type RespValue, redisCall } from "./redis-admin.js";

/** One node's CLUSTER INFO fields, e.g. `cluster_state` -> `ok`. */
export async function clusterInfo(port: number): Promise<Map<string, string>> {
  const text = String(await redisCall(port, "CLUSTER", "INFO"));
  const fields = new Map<string, string>();
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** True when this node sees the cluster up with all 16384 slots assigned and served. */
export async function seesClusterOk(port: number): Promise<boolean> {
  const info = await clusterInfo(port);
  return (
    info.get("cluster_state") === "ok" &&
    info.get("cluster_slots_assigned") === String(SLOTS) &&
    info.get("cluster_slots_ok") === String(SLOTS)
  );
}

/** A node's view of which master port serves each slot: ranges sorted by first slot. */
export type SlotMap = { first: number; last: number; masterPort: number }[];

export async function slotMap(port: number): Promise<SlotMap> {
  const reply = (await redisCall(port, "CLUSTER", "SLOTS")) as RespValue[];
  return reply
    .map((range) => {
      const [first, last, master] = range as [number, number, RespValue[]];
      return { first, last, masterPort: Number(master[1]) };
    })
    .sort((a, b) => a.first - b.first);
}

export function ownerInMap(map: SlotMap, slot: number): number | undefined {
  return map.find((range) => range.first <= slot && slot <= range.last)?.masterPort;
}

/** True when the ranges cover every slot exactly once. */
export function coversAllSlots(map: SlotMap): boolean {
  let next = 0;
  for (const range of map) {
    if (range.first !== next) return false;
    next = range.last + 1;
  }
  return next === SLOTS;
}

export type NodeRole = "master" | "replica";

/** One line of CLUSTER NODES: a node as some node sees it. */
export interface NodeView {
  id: string;
  port: number;
  role: NodeRole;
  /** Its master's id, for a replica. */
  masterId: string | undefined;
  /** Flagged `fail` or `fail?` (suspected) by the node asked. */
  failing: boolean;
  myself: boolean;
}

export async function clusterNodes(port: number): Promise<NodeView[]> {
  const text = String(await redisCall(port, "CLUSTER", "NODES"));
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id, address, flagText, master] = line.split(" ") as [string, string, string, string];
      const flags = flagText.split(",");
      return {
        id,
        port: Number(address.split("@")[0]?.split(":").pop()),
        role: flags.includes("master") ? "master" : "replica",
        masterId: master === "-" ? undefined : master,
        failing: flags.includes("fail") || flags.includes("fail?"),
        myself: flags.includes("myself"),
      };
    });
}
