/**
 * The data of every send and publish of a chaos run: unique in the whole run and telling who sent it, in
 * which order. `send:k03.2:17` is the 17th payload connection `k03.2` sent (sends and publishes share the
 * count).
 */
export interface Payload {
  kind: "send" | "pub";
  /** The sender's connection instance. */
  conn: string;
  /** Increasing per sender connection. */
  seq: number;
}

export function encodePayload(payload: Payload): string {
  return `${payload.kind}:${payload.conn}:${payload.seq}`;
}

/** The payload in `data`, or undefined if it is not one (then it was never sent by a chaos client). */
export function parsePayload(data: unknown): Payload | undefined {
  if (typeof data !== "string") return undefined;
  const match = /^(send|pub):([^:]+):(\d+)$/.exec(data);
  if (match === null) return undefined;
  return { kind: match[1] as Payload["kind"], conn: match[2] as string, seq: Number(match[3]) };
}
