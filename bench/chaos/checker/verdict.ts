/** The rules the checker enforces; each violation names one. */
export type RuleName =
  | "two-owners"
  | "delivery-outside-registration"
  | "lost-send"
  | "send-to-several-clients"
  | "delivered-though-refused"
  | "duplicate-delivery"
  | "reordered-delivery"
  | "unknown-delivery"
  | "history-gap"
  | "reply-mismatch"
  | "unanswered-command"
  | "node-crash"
  | "slow-recovery"
  | "run-incomplete";

/** One broken rule, with what is needed to find it in the history and the node logs. */
export interface Violation {
  rule: RuleName;
  /** When (run clock, ms) the evidence became complete: the event that broke the rule. */
  at: number;
  channel?: string;
  message: string;
}

/** Why a lost `sending_succeeded` is forgiven: its owner was cut off with it in flight. */
export type ExcuseReason = "owner's node killed" | "owner's connection dropped";

/** A `sending_succeeded` whose payload never arrived, excused: counted and reported, never silent. */
export interface ExcusedLoss {
  /** When the sender got `sending_succeeded`. */
  at: number;
  channel: string;
  payload: string;
  reason: ExcuseReason;
  message: string;
}

export interface CheckRules {
  /** Every node must answer /healthz 200 within this long after each fault ends. */
  recoveryLimitMs: number;
  /**
   * A lost `sending_succeeded` is excused only if an owner of its channel at the time ended by its node being
   * killed or its connection closing, between the send and this long after the reply.
   */
  excuseWindowMs: number;
}

export const CHECK_DEFAULTS: CheckRules = { recoveryLimitMs: 15_000, excuseWindowMs: 2_000 };

export interface Verdict {
  passed: boolean;
  violations: Violation[];
  excused: ExcusedLoss[];
}
