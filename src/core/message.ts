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
] as const;
export type ReplyEvent = (typeof REPLY_EVENTS)[number];

export const DELIVERY_EVENT = "new_message";
export const SERVER_KEY = "west";

/** What a client asks for. `event` is any string: unknown ones are answered `action_not_allowed`. */
export interface Command {
  event: string;
  channel?: string;
  id?: RequestId;
  data?: Data | null;
}

/** A reply to a command, or a notice; always from "west". */
export interface Reply {
  event: ReplyEvent;
  from: typeof SERVER_KEY;
  channel?: string;
  id?: RequestId;
}

/** A message delivered to an owner (send) or a subscriber (publish). Shared by all receivers: read-only. */
export interface Delivery {
  readonly event: typeof DELIVERY_EVENT;
  readonly from: string;
  readonly channel: string;
  readonly data: Data;
}

/** Anything the server sends to a client. */
export type Message = Reply | Delivery;

export function isDelivery(message: Message): message is Delivery {
  return message.event === DELIVERY_EVENT;
}

export function reply(event: ReplyEvent, channel?: string, id?: RequestId): Reply {
  const message: Reply = { event, from: SERVER_KEY };
  if (channel !== undefined) message.channel = channel;
  if (id !== undefined) message.id = id;
  return message;
}
