/**
 * Why a command of the SDK failed: `timeout` (no reply in time), `disconnected` (written, then the connection
 * dropped before its reply: it may or may not have taken effect, and is never sent again), `closed` (the client
 * was closed), or the failure reply's event (`registration_denied`, `permission_denied`, `request_timeout`, ...)
 * with the node's `reason` when it gave one.
 */
export type WestErrorCode = "timeout" | "disconnected" | "closed" | (string & {});

export class WestError extends Error {
  override readonly name = "WestError";

  constructor(
    readonly code: WestErrorCode,
    readonly reason?: string,
    /** The failure reply itself, when the node sent one. */
    readonly reply?: unknown,
  ) {
    super(reason === undefined ? code : `${code}: ${reason}`);
  }
}
