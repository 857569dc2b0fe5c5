/** The channel of each of an agent's connections: one for all, or `prefix` + a number counted from `first`. */
export type ChannelPlan = { fixed: string } | { prefix: string; first: number };

/** The channel of an agent's connection `i` under `plan`. */
export function channelOf(plan: ChannelPlan, i: number): string {
  return "fixed" in plan ? plan.fixed : `${plan.prefix}${plan.first + i}`;
}
