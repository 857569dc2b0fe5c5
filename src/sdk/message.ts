/** A delivery as the application gets it: a publication on a subscribed channel, or a send to an owned one. */
export interface WestMessage {
  /** The key of the client that sent it. */
  from: string;
  channel: string;
  /** Any JSON value or bytes (Uint8Array) on the JSON protocol; bytes on protobuf. */
  data: unknown;
  /** On channels with history: its position in the channel's history and the history's epoch. */
  offset?: number;
  epoch?: string;
  /** On a request to an owned channel: the token to answer with (the SDK answers for `onRequest`). */
  replyTo?: string;
}

/** A reply of the node to a command, as the SDK resolves it: the event and the fields that came with it. */
export interface WestReply {
  event: string;
  channel?: string;
  data?: unknown;
  offset?: number;
  epoch?: string;
  recovered?: boolean;
  complete?: boolean;
}
