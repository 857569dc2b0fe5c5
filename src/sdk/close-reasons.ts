/**
 * Why a connection ended, as the SDK reports it in `state` events. The first group are the node's close codes
 * (docs/protocol.md, "Close codes"); the rest are the SDK's own findings.
 */
export type CloseReason =
  | "normal" // 1000
  | "going_away" // 1001, 1012: the node is stopping or restarting
  | "dropped" // 1006: no close frame (the node died, the network broke)
  | "token_expired" // 1008
  | "too_large" // 1009
  | "server_error" // 1011
  | "overloaded" // 1013: the node is at its connection limit
  | "slow" // 4001
  | "rate" // 4002
  | "disconnected" // 4003: by the server's API; the SDK stays closed
  | "resync" // 4004: resubscribe with recovery
  | "refused" // the upgrade was refused (an HTTP status: see `status`)
  | "keepalive" // no traffic and no pong in time: the SDK gave the connection up
  | "unreachable" // no connection could be made
  | "other";

const BY_CODE: Record<number, CloseReason> = {
  1000: "normal",
  1001: "going_away",
  1006: "dropped",
  1008: "token_expired",
  1009: "too_large",
  1011: "server_error",
  1012: "going_away",
  1013: "overloaded",
  4001: "slow",
  4002: "rate",
  4003: "disconnected",
  4004: "resync",
};

export function closeReasonOf(code: number): CloseReason {
  return BY_CODE[code] ?? "other";
}

/** What the SDK does after a connection ends for `reason`. */
export type AfterClose = "stay_closed" | "reconnect_now" | "reconnect_later";

export function afterClose(reason: CloseReason): AfterClose {
  switch (reason) {
    case "disconnected":
      return "stay_closed";
    // A fresh token, or a resubscription with recovery: nothing is gained by waiting.
    case "token_expired":
    case "resync":
      return "reconnect_now";
    default:
      return "reconnect_later";
  }
}
