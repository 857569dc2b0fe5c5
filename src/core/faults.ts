import type { FaultReason } from "./message.js";

/**
 * A fault whose cause is known where it happens (the command deadline, point-to-point, an adapter): the command
 * it fails is answered `internal_error` with its `reason`. The message and the cause are for the logs only.
 */
export class Fault extends Error {
  override readonly name = "Fault";

  constructor(
    readonly reason: FaultReason,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The `reason` for an `internal_error` caused by `error`: a Fault's own, anything else is a "server fault". */
export function faultReason(error: unknown): FaultReason {
  return error instanceof Fault ? error.reason : "server fault";
}
