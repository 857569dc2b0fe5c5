/** A JSON value, as carried by the JSON protocol and the native client. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A payload. Its kind follows from its type: a string is text, a Uint8Array is binary,
 * any other JSON value is json (docs/protocol.md, "Data across protocols").
 */
export type Data = string | Uint8Array | JsonValue;

/** The correlation id a client chose; echoed unchanged (same JSON type) on the reply. */
export type RequestId = string | number;

export const COMMANDS = [
  "ping",
  "register",
  "unregister",
  "send",
  "subscribe",
  "unsubscribe",
  "publish",
  "history",
  "presence",
  "request",
  "reply",
] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Reply and notice events: the closed list of docs/protocol.md, "Commands and replies". */
export const REPLY_EVENTS = [
  "pong",
  "registration_succeeded",
  "registration_already_exist",
  "registration_denied",
  "registration_failed",
  "unregistration_succeeded",
  "registration_not_found",
  "unregistration_failed",
  "sending_succeeded",
  "sending_failed",
  "subscription_succeeded",
  "subscription_already_exist",
  "subscription_failed",
  "unsubscription_succeeded",
  "subscription_not_found",
  "unsubscription_failed",
  "publication_succeeded",
  "publication_failed",
  "action_not_allowed",
  "bad_request",
  "bad_encoding",
  "internal_error",
  "permission_denied",
  "rate_limited",
  "registration_lost",
  "history_succeeded",
  "history_failed",
  "presence_succeeded",
  "presence_failed",
  "request_timeout",
  "request_failed",
  "reply_succeeded",
  "reply_failed",
  "disconnect_succeeded",
  "info_succeeded",
] as const;
export type ReplyEvent = (typeof REPLY_EVENTS)[number];

/** The `reason` of a `*_failed` reply: what is wrong with the command's channel or data, or a limit it hit. */
export const FAILED_REASONS = [
  "missing channel",
  "channel is not a string",
  "channel name is empty",
  "channel name too long",
  "channel name contains a quote",
  "channel name contains a format character",
  "channel name contains whitespace",
  "channel name contains a control character",
  "channel name is not valid UTF-8",
  "missing data",
  "data is not text, JSON or bytes",
  "too many channels on this connection",
  "channel has no history",
  "channel has no presence",
  "offset without epoch",
  "epoch is not the channel's current one",
  "offset is past the channel's top",
  "timeout_ms is not a whole number from 1 to 60000",
  "too many pending requests on this connection",
  "unknown or expired token",
  "requester gone",
] as const;

/** The `reason` of a `permission_denied` reply. */
export const DENIED_REASONS = ["not allowed by the channel permissions"] as const;

/** The `reason` of a `bad_request` reply: why the codec could not read the frame (JSON, then protobuf). */
export const BAD_REQUEST_REASONS = [
  "not JSON",
  "not a JSON object",
  "missing event",
  "event is not a string",
  "channel is not a string",
  "id is not a string or a number",
  "number out of range",
  "encoding is not base64",
  "base64 data is not a string",
  "invalid base64",
  "not a protobuf Message",
  "a string field is not UTF-8",
  "offset is not a whole number",
  "epoch is not a string",
  "limit is not a whole number",
  "timeout_ms is not a whole number",
  "from is not a valid key",
  "key is missing or not a valid key",
  "commands is not an array of at most 1000",
  "not allowed in a batch",
] as const;

/** The `reason` of an `internal_error` reply: where the fault was known (see Fault), else "server fault". */
export const FAULT_REASONS = [
  "timed out",
  "redis unavailable",
  "not confirmed by redis replicas",
  "node fenced",
  "owner's node fenced",
  "no answer from the owner's node",
  "no answer from the requester's node",
  "no answer from a node",
  "node shutting down",
  "connection closed",
  "server fault",
] as const;
export type FaultReason = (typeof FAULT_REASONS)[number];

/**
 * Why a command failed, on `*_failed`, `permission_denied`, `bad_request` and `internal_error` replies of the JSON
 * and protobuf protocols and the native client: a closed list of the project's own short phrases, never a Redis
 * error text or an exception's message. Replies without one (and every text-protocol reply) carry no `reason`.
 */
export const REASONS = [
  ...new Set([...FAILED_REASONS, ...DENIED_REASONS, ...BAD_REQUEST_REASONS, ...FAULT_REASONS]),
] as readonly Reason[];
export type Reason =
  | (typeof FAILED_REASONS)[number]
  | (typeof DENIED_REASONS)[number]
  | (typeof BAD_REQUEST_REASONS)[number]
  | FaultReason;

export const DELIVERY_EVENT = "new_message";
export const SERVER_KEY = "west";
/** The key the HTTP API sends as unless told otherwise: reserved, like SERVER_KEY, so no client can pass for it. */
export const API_KEY = "api";

/** What a client asks for. `event` is any string: unknown ones are answered `action_not_allowed`. */
export interface Command {
  event: string;
  channel?: string;
  id?: RequestId;
  data?: Data | null;
  /** On `subscribe` (recovery) and `history`: the last offset of `epoch` the client has seen. */
  offset?: number;
  epoch?: string;
  /** On `history`: how many publications at most. */
  limit?: number;
  /** On `request`: how long to wait for the owner's reply (the JSON protocol's `timeout_ms`). */
  timeoutMs?: number;
}

/** One publication in a `history_succeeded` reply. */
export interface HistoryItem {
  readonly from: string;
  readonly offset: number;
  readonly data: Data;
}

/** A reply to a command, or a notice; always from "west". */
export interface Reply {
  event: ReplyEvent;
  from: typeof SERVER_KEY;
  channel?: string;
  id?: RequestId;
  /** Why it failed: only on *_failed, permission_denied, bad_request and internal_error, and only when known. */
  reason?: Reason;
  /** On a history channel's `subscription_succeeded`, `publication_succeeded` and `history_succeeded`. */
  offset?: number;
  epoch?: string;
  /** On `subscription_succeeded` to a subscribe with an offset: whether the missed publications follow. */
  recovered?: boolean;
  /** On `history_succeeded`: false when the answer does not reach back to what was asked. */
  complete?: boolean;
  /**
   * On `history_succeeded`: the publications, oldest first; on `presence_succeeded`: key -> connections; on
   * `disconnect_succeeded` (and its `internal_error`): how many connections were closed; on `info_succeeded`:
   * the nodes.
   */
  data?: readonly HistoryItem[] | Members | number | readonly NodeInfo[];
}

/** A node of the system, as the HTTP API's `info` shows it (from the node registry). */
export interface NodeInfo {
  readonly nodeId: string;
  /** The node's HTTP address, when it listens. */
  readonly url?: string;
  readonly connections: number;
  readonly registrations: number;
  readonly subscriptions: number;
  readonly uptimeMs: number;
}

/** Who is subscribed to a channel, over the whole system: each key and its number of subscribed connections. */
export type Members = Readonly<Record<string, number>>;

/** The members whose subscribed connections have these keys, one key per connection. */
export function countMembers(keys: Iterable<string>): Members {
  const members: Record<string, number> = {};
  for (const key of keys) members[key] = (members[key] ?? 0) + 1;
  return members;
}

/** An integer from 0 to 2^53 - 1, as offsets and limits are. */
export function isWholeNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A client subscribed to (`join`) or left (`leave`) a channel with join/leave notices: sent to its other subscribers. */
export interface Notice {
  readonly event: "join" | "leave";
  /** The key of the client that joined or left. */
  readonly from: string;
  readonly channel: string;
}

/** A message delivered to an owner (send) or a subscriber (publish). Shared by all receivers: read-only. */
export interface Delivery {
  readonly event: typeof DELIVERY_EVENT;
  readonly from: string;
  readonly channel: string;
  readonly data: Data;
  /** On a channel with history: the publication's place in it. */
  readonly offset?: number;
  readonly epoch?: string;
  /** On a request delivered to a channel's owner: the token its reply names (docs/protocol.md, "Request/reply (ext)"). */
  readonly reply_to?: string;
}

export const RESPONSE_EVENT = "response";

/** The owner's reply to a request, for the requester: `from` is the owner's key, `id` the request's. */
export interface Response {
  readonly event: typeof RESPONSE_EVENT;
  readonly from: string;
  readonly channel: string;
  readonly id?: RequestId;
  readonly data: Data;
}

/** Anything the server sends to a client. */
export type Message = Reply | Delivery | Notice | Response;

export function isNotice(message: Message): message is Notice {
  return message.event === "join" || message.event === "leave";
}

export function isResponse(message: Message): message is Response {
  return message.event === RESPONSE_EVENT;
}

export function isDelivery(message: Message): message is Delivery {
  return message.event === DELIVERY_EVENT;
}

export function reply(event: ReplyEvent, channel?: string, id?: RequestId, reason?: Reason): Reply {
  const message: Reply = { event, from: SERVER_KEY };
  if (channel !== undefined) message.channel = channel;
  if (id !== undefined) message.id = id;
  if (reason !== undefined) message.reason = reason;
  return message;
}
