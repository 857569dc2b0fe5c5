export type { BackoffOptions } from "./backoff.js";
export type { CloseReason } from "./close-reasons.js";
export type { Wire } from "./codecs/wire.js";
export type { CloseInfo, ConnectionState, KeepaliveOptions } from "./connection.js";
export { WestError, type WestErrorCode } from "./errors.js";
export type { WestMessage, WestReply } from "./message.js";
export type { RegisterOptions, Registration, RegistrationState } from "./registration.js";
export type { WebSocketClass } from "./socket.js";
export type {
  GapInfo,
  SubscribedInfo,
  SubscribeOptions,
  Subscription,
  SubscriptionState,
} from "./subscription.js";
export {
  type HistoryOptions,
  type HistoryPage,
  type RequestOptions,
  WestClient,
  type WestClientOptions,
} from "./west-client.js";
