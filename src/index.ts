export type { MessageHandler } from "./client/native-client.js";
export { WestClient } from "./client/native-client.js";
export type { ChannelRule, Features, HistoryConfig } from "./core/channel-features.js";
export type { Counters } from "./core/counters.js";
export { Fault } from "./core/faults.js";
export type {
  Command,
  CommandName,
  Data,
  Delivery,
  FaultReason,
  HistoryItem,
  JsonValue,
  Message,
  Reason,
  Reply,
  ReplyEvent,
  RequestId,
  Response,
} from "./core/message.js";
export {
  BAD_REQUEST_REASONS,
  COMMANDS,
  DELIVERY_EVENT,
  DENIED_REASONS,
  FAILED_REASONS,
  FAULT_REASONS,
  isDelivery,
  isResponse,
  REASONS,
  REPLY_EVENTS,
  RESPONSE_EVENT,
  SERVER_KEY,
} from "./core/message.js";
export type { DirectMessage, ReplyOutcome, SendOutcome } from "./core/node-messages.js";
export type { GuardedAction, PermissionRule, PermissionsConfig } from "./core/permissions.js";
export type {
  Adapter,
  AdapterContext,
  AdapterFactory,
  AdapterHealth,
  AdapterHooks,
  Awaitable,
  Backplane,
  History,
  HistoryPage,
  HistoryQuery,
  NodeEvents,
  NodeStats,
  Owner,
  OwnerRegistry,
  Position,
  Stamped,
} from "./core/seam.js";
export type { Identity } from "./core/session.js";
export type { LogLevel } from "./log.js";
export type { AuthOptions, VerifiedIdentity, WestOptions } from "./options.js";
export { startWest, type WestNode } from "./west.js";
