import { COMMANDS, type ReplyEvent, type Response } from "./message.js";

/** The `command` label: the commands, and `other` for unknown events and frames no codec could read. */
export const COMMAND_LABELS = [...COMMANDS, "other"] as const;
export type CommandLabel = (typeof COMMAND_LABELS)[number];

/** The `result` label: what a command's reply says, in a few fixed words. */
export const RESULT_CATEGORIES = [
  "ok",
  "not_found",
  "exists",
  "denied",
  "rate_limited",
  "invalid",
  "timeout",
  "error",
] as const;
export type ResultCategory = (typeof RESULT_CATEGORIES)[number];

/** Every reply event has its category, so a new event cannot be added without choosing one. */
const CATEGORY_OF: Record<ReplyEvent | Response["event"], ResultCategory> = {
  pong: "ok",
  registration_succeeded: "ok",
  unregistration_succeeded: "ok",
  sending_succeeded: "ok",
  subscription_succeeded: "ok",
  unsubscription_succeeded: "ok",
  publication_succeeded: "ok",
  registration_not_found: "not_found",
  subscription_not_found: "not_found",
  registration_already_exist: "exists",
  subscription_already_exist: "exists",
  registration_denied: "denied",
  permission_denied: "denied",
  rate_limited: "rate_limited",
  registration_failed: "invalid",
  unregistration_failed: "invalid",
  sending_failed: "invalid",
  subscription_failed: "invalid",
  unsubscription_failed: "invalid",
  publication_failed: "invalid",
  action_not_allowed: "invalid",
  bad_request: "invalid",
  bad_encoding: "invalid",
  internal_error: "error",
  history_succeeded: "ok",
  history_failed: "invalid",
  presence_succeeded: "ok",
  presence_failed: "invalid",
  // The outcomes of a request, and the replies to a reply.
  response: "ok",
  request_timeout: "timeout",
  request_failed: "invalid",
  reply_succeeded: "ok",
  reply_failed: "not_found",
  // The HTTP API's own.
  disconnect_succeeded: "ok",
  info_succeeded: "ok",
  // A notice, never the reply to a command.
  registration_lost: "error",
};

/** The `limit` label of limit hits. */
export const LIMITS = ["frame_size", "channels", "connections", "rate"] as const;
export type Limit = (typeof LIMITS)[number];

/** The `reason` label of authentication failures. */
export const AUTH_FAILURE_REASONS = ["missing", "invalid", "expired", "key_mismatch", "refused"] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

const KNOWN_COMMANDS: ReadonlySet<string> = new Set(COMMANDS);

/** A node's running totals at one moment, as the admin dashboard turns them into rates. */
export interface Totals {
  /** When they were read, epoch ms. */
  at: number;
  deliveries: number;
  commands: number;
  bytesIn: number;
  bytesOut: number;
  slowConsumerCuts: number;
  rateLimited: number;
  authFailures: number;
  /** Round trips to the distribution layer (Redis), and their summed duration: the mean of an interval. */
  roundTrips: number;
  roundTripSeconds: number;
}

/**
 * The node's running totals, as plain numbers that the hot path can bump with a bare `++` or `+=`; the metrics
 * endpoint reads them only when scraped. One object per node (Core.counters), reachable wherever work happens.
 */
export class Counters {
  /** Deliveries handed to an owner (send) or to subscribers (publish, one per subscriber). */
  deliveriesSend = 0;
  deliveriesPublish = 0;
  /** WebSocket payload bytes received, and frame bytes written (replies and deliveries). */
  bytesIn = 0;
  bytesOut = 0;
  /** Round trips to the distribution layer (Redis) timed, and their summed duration in seconds. */
  roundTrips = 0;
  roundTripSeconds = 0;
  /** Sockets closed because they did not keep up with what they were sent. */
  slowConsumerCuts = 0;
  /** Subscribers of history channels told to resubscribe: a gap in their channel could not be filled. */
  resyncs = 0;
  readonly limitHits: Record<Limit, number> = { frame_size: 0, channels: 0, connections: 0, rate: 0 };
  readonly authFailures: Record<AuthFailureReason, number> = {
    missing: 0,
    invalid: 0,
    expired: 0,
    key_mismatch: 0,
    refused: 0,
  };
  /** Commands answered, by command and result. */
  readonly commands = Object.fromEntries(
    COMMAND_LABELS.map((command) => [
      command,
      Object.fromEntries(RESULT_CATEGORIES.map((result) => [result, 0])),
    ]),
  ) as Record<CommandLabel, Record<ResultCategory, number>>;
  /** HTTP API requests answered, by `command status` (e.g. `publish 200`). */
  readonly apiRequests = new Map<string, number>();
  private readonly connections = new Map<string, number>();

  /** Counts one answered HTTP API request: its command (an API command, or `other`) and its status. */
  countApiRequest(command: string, status: number): void {
    const label = `${command} ${status}`;
    this.apiRequests.set(label, (this.apiRequests.get(label) ?? 0) + 1);
  }

  /** Counts one answered command: `event` as the client named it, and the event of its reply. */
  countCommand(event: string, reply: ReplyEvent | Response["event"]): void {
    this.commands[KNOWN_COMMANDS.has(event) ? (event as CommandLabel) : "other"][CATEGORY_OF[reply]]++;
  }

  /** The totals now, and the open connections by kind (protocol, or `native`). */
  totals(at: number): Totals {
    let commands = 0;
    for (const results of Object.values(this.commands))
      for (const count of Object.values(results)) commands += count;
    let authFailures = 0;
    for (const count of Object.values(this.authFailures)) authFailures += count;
    return {
      at,
      deliveries: this.deliveriesSend + this.deliveriesPublish,
      commands,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      slowConsumerCuts: this.slowConsumerCuts,
      rateLimited: this.limitHits.rate,
      authFailures,
      roundTrips: this.roundTrips,
      roundTripSeconds: this.roundTripSeconds,
    };
  }

  /** Open connections by kind (a WebSocket protocol, or `native`). */
  connectionsByKind(): Record<string, number> {
    return Object.fromEntries(this.connections);
  }

  connectionOpened(kind: string): void {
    this.connections.set(kind, this.openConnections(kind) + 1);
  }

  connectionClosed(kind: string): void {
    this.connections.set(kind, this.openConnections(kind) - 1);
  }

  /** Clients of this kind (a WebSocket protocol, or `native`) with a session open. */
  openConnections(kind: string): number {
    return this.connections.get(kind) ?? 0;
  }
}
