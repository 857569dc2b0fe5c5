import type { Logger } from "../log.js";
import { AdapterCalls } from "./adapter-calls.js";
import { ChannelFeatures } from "./channel-features.js";
import { ANSWERED_APART } from "./command-pipeline.js";
import { Counters } from "./counters.js";
import { faultReason } from "./faults.js";
import { HistoryReads } from "./history-reads.js";
import {
  type Command,
  type Data,
  isWholeNumber,
  type NodeInfo,
  type Reason,
  type Reply,
  type ReplyEvent,
  reply,
} from "./message.js";
import { isValidName, type NameProblem, nameProblem } from "./names.js";
import type { AnswerBody, RequestBody } from "./node-messages.js";
import { NodeRequests } from "./node-requests.js";
import { isGuardedAction, type Permissions } from "./permissions.js";
import { PointToPoint } from "./point-to-point.js";
import { PubSub } from "./pub-sub.js";
import { type Outcome, RequestReply } from "./request-reply.js";
import type { Adapter, AdapterHealth, Awaitable, NodeEvents, NodeStats, SystemNode } from "./seam.js";
import { type Endpoint, type Identity, Session } from "./session.js";
import { SystemAdmin } from "./system-admin.js";

export interface CoreOptions {
  logger: Logger;
  /** How long a command may wait on the adapter before it is answered `internal_error`. */
  commandTimeoutMs: number;
  /** Registrations plus subscriptions (pending ones too) that one session may hold. */
  maxChannelsPerConnection: number;
  /** Commands of one session that may run at once; more wait their turn. Default DEFAULT_MAX_IN_FLIGHT. */
  maxCommandsInFlight?: number;
  /** Longest channel name, in UTF-8 bytes. */
  maxChannelBytes: number;
  /** Channel permission rules; none: every command is allowed. */
  permissions?: Permissions | undefined;
  /** History, presence and join/leave per channel; none: plain channels. */
  features?: ChannelFeatures | undefined;
  /** The largest frame a client is sent (history replies are cut to fit it). */
  maxFrameBytes?: number;
  /** Requests one connection may have pending. Default DEFAULT_MAX_PENDING_REQUESTS. */
  maxPendingRequests?: number;
}

/**
 * The protocol's command table: checks each command (names, data, permissions) and hands it to point-to-point or
 * pub/sub. Knows sessions and channels, nothing of sockets or encodings.
 */
export class Core {
  readonly logger: Logger;
  /** Running totals for the metrics endpoint. */
  readonly counters = new Counters();
  /** What the adapter may see of this node: the narrow handler of what arrives from other nodes. */
  readonly events: NodeEvents;
  private readonly adapters: AdapterCalls;
  private readonly pointToPoint: PointToPoint;
  private readonly requestReply: RequestReply;
  private readonly nodeRequests: NodeRequests;
  private readonly admin: SystemAdmin;
  private readonly pubSub: PubSub;
  private readonly historyReads: HistoryReads;
  private readonly features: ChannelFeatures;
  private readonly sessions = new Map<number, Session>();
  private nextSessionId = 1;

  constructor(private readonly options: CoreOptions) {
    this.logger = options.logger;
    this.adapters = new AdapterCalls(options.commandTimeoutMs, options.logger);
    const atLimit = (session: Session, channel: string) => this.atChannelLimit(session, channel);
    this.nodeRequests = new NodeRequests(
      (nodeId, message) => this.adapters.current.backplane.direct(nodeId, message),
      (body) => this.serve(body),
      this.logger,
      options.commandTimeoutMs,
    );
    this.pointToPoint = new PointToPoint(
      this.adapters,
      this.nodeRequests,
      this.counters,
      this.logger,
      atLimit,
    );
    this.requestReply = new RequestReply(
      this.adapters,
      this.pointToPoint,
      this.nodeRequests,
      this.counters,
      this.logger,
      options.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS,
    );
    this.admin = new SystemAdmin(this.adapters, this.nodeRequests, {
      disconnect: (key) => this.disconnectHere(key),
      stats: () => this.stats(),
    });
    this.features = options.features ?? ChannelFeatures.NONE;
    this.pubSub = new PubSub(this.adapters, this.counters, atLimit, this.features);
    this.historyReads = new HistoryReads(
      this.adapters,
      this.features,
      options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    );
    this.events = {
      publication: (delivery) => this.pubSub.deliverPublish(delivery),
      notice: (notice, about) => this.pubSub.deliverNotice(notice, about),
      discontinuity: () => this.pubSub.discontinuity(),
      direct: (origin, message) => this.nodeRequests.receive(origin, message),
      registrationLost: (channel, sessionId) => this.pointToPoint.registrationLost(channel, sessionId),
      registrations: () => this.pointToPoint.confirmedRegistrations(),
      stats: () => this.stats(),
    };
  }

  /** Plugs in the adapter once it exists (it is built with this core's events). */
  attach(adapter: Adapter): void {
    if (this.features.anyHistory && adapter.history === undefined)
      throw new TypeError("channels: a rule turns on history, and this node's adapter keeps none");
    if (this.features.anyPresence && adapter.presence === undefined)
      throw new TypeError(
        "channels: a rule turns on presence or join/leave, and this node's adapter keeps none",
      );
    this.adapters.attach(adapter);
  }

  /** `session` was handed `answer`: a subscription to a history channel may start flowing. */
  replied(session: Session, answer: Reply): void {
    if (
      answer.event === "subscription_succeeded" &&
      answer.epoch !== undefined &&
      answer.channel !== undefined
    )
      this.pubSub.subscribed(session, answer.channel);
  }

  stats(): NodeStats {
    return {
      connections: this.sessions.size,
      registrations: this.pointToPoint.size,
      subscriptions: this.pubSub.size,
      byKind: this.counters.connectionsByKind(),
      totals: this.counters.totals(Date.now()),
    };
  }

  /** This node's id in the system (its adapter's registry). */
  nodeId(): string {
    return this.adapters.current.registry.nodeId;
  }

  /** The live nodes of the system with their figures: this one's of now, the others' of their last heartbeat. */
  systemNodes(): Promise<SystemNode[]> {
    return this.admin.liveNodes();
  }

  /**
   * Closes every WebSocket of `key` on every node of the system with 4003 (native clients are not affected): how
   * many, and whether every node answered.
   */
  disconnect(key: string): Promise<{ closed: number; complete: boolean }> {
    return this.admin.disconnect(key);
  }

  /** The live nodes of the system, with their connections, channels and uptime. */
  info(): Promise<NodeInfo[]> {
    return this.admin.info();
  }

  /** Closes this node's WebSockets of `key` with 4003; how many. */
  private disconnectHere(key: string): number {
    let closed = 0;
    for (const session of this.sessions.values()) if (session.key === key && session.disconnect()) closed++;
    if (closed > 0) this.logger.info({ key, closed }, "disconnected by the HTTP API");
    return closed;
  }

  /** Whether the node can serve: joined through its adapter, and the adapter healthy. */
  health(): AdapterHealth {
    return this.adapters.attached?.health() ?? JOINING;
  }

  /** A new client session; `kind` labels it in the metrics (its WebSocket protocol, or `native`). */
  open(key: string, endpoint: Endpoint, identity: Identity = {}, kind = "native"): Session {
    const session = new Session(
      this.nextSessionId++,
      key,
      endpoint,
      this,
      kind,
      identity.claims,
      identity.trusted,
      this.options.maxCommandsInFlight,
    );
    this.sessions.set(session.id, session);
    this.counters.connectionOpened(kind);
    return session;
  }

  /**
   * Executes one command for `session`; never throws and never rejects: faults become `internal_error`. A request
   * on its way gives ANSWERED_APART, and its outcome goes to `later` when it comes.
   */
  run(session: Session, command: Command, later: (outcome: Outcome) => void = NOWHERE): Awaitable<Reply> {
    const { channel, id } = command;
    if (session.closed)
      return this.counted(command, reply("internal_error", channel, id, "connection closed"));
    try {
      const result = this.dispatch(session, command, later);
      if (result instanceof Promise) {
        return result.then(
          (answer) => this.counted(command, answer),
          (error: unknown) => this.counted(command, this.fault(error, session, command)),
        );
      }
      return this.counted(command, result);
    } catch (error) {
      return this.counted(command, this.fault(error, session, command));
    }
  }

  async detach(session: Session): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session.id);
    this.counters.connectionClosed(session.kind);
    this.requestReply.dropAll(session);
    const releases = [...this.pointToPoint.releaseAll(session), ...this.pubSub.leaveAll(session)];
    session.dropAll();
    const results = await Promise.allSettled(releases);
    for (const result of results) {
      if (result.status === "rejected") {
        this.logger.warn({ err: result.reason, key: session.key }, "release on close failed");
      }
    }
  }

  /** Closes every session (node shutdown). */
  async detachAll(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((session) => this.detach(session)));
  }

  /** A request from another node: what this node answers. */
  private serve(body: RequestBody): Awaitable<AnswerBody> {
    if (body.type === "reply") return { type: "reply", outcome: this.requestReply.receiveReply(body) };
    if (body.type === "disconnect") return { type: "disconnect", closed: this.disconnectHere(body.key) };
    const outcome = this.pointToPoint.receiveSend(body);
    return outcome instanceof Promise
      ? outcome.then((sent) => ({ type: "send", outcome: sent }))
      : { type: "send", outcome };
  }

  private dispatch(session: Session, command: Command, later: (outcome: Outcome) => void): Awaitable<Reply> {
    const { channel, id } = command;
    if (this.refused(session, command))
      return reply("permission_denied", channel, id, "not allowed by the channel permissions");
    switch (command.event) {
      case "ping":
        return reply("pong", channel, id);
      case "register":
        return this.isChannel(channel)
          ? this.pointToPoint.register(session, channel, id)
          : this.failed("registration_failed", command);
      case "unregister":
        return this.isChannel(channel)
          ? this.pointToPoint.unregister(session, channel, id)
          : this.failed("unregistration_failed", command);
      case "send":
        return this.isChannel(channel) && isData(command.data)
          ? this.pointToPoint.send(session, channel, command.data, id)
          : this.failed("sending_failed", command);
      case "subscribe": {
        if (!this.isChannel(channel)) return this.failed("subscription_failed", command);
        const problem = positionProblem(command);
        if (problem !== undefined) return reply("subscription_failed", channel, id, problem);
        const { offset, epoch } = command;
        const recovery = offset !== undefined && epoch !== undefined ? { offset, epoch } : undefined;
        return this.pubSub.subscribe(session, channel, id, recovery);
      }
      case "unsubscribe":
        return this.isChannel(channel)
          ? this.pubSub.unsubscribe(session, channel, id)
          : this.failed("unsubscription_failed", command);
      case "publish":
        return this.isChannel(channel) && isData(command.data)
          ? this.pubSub.publish(session, channel, command.data, id)
          : this.failed("publication_failed", command);
      case "presence":
        return this.isChannel(channel)
          ? this.pubSub.members(channel, id)
          : this.failed("presence_failed", command);
      case "request": {
        if (!this.isChannel(channel) || !isData(command.data)) return this.failed("request_failed", command);
        const timeoutMs = command.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
        if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_REQUEST_TIMEOUT_MS)
          return reply("request_failed", channel, id, "timeout_ms is not a whole number from 1 to 60000");
        const refused = this.requestReply.request(session, channel, command.data, id, timeoutMs, later);
        return refused ?? ANSWERED_APART;
      }
      case "reply":
        return this.isChannel(channel) && isData(command.data)
          ? this.requestReply.reply(session, channel, command.data, id)
          : this.failed("reply_failed", command);
      case "history": {
        if (!this.isChannel(channel)) return this.failed("history_failed", command);
        const problem = positionProblem(command);
        return problem === undefined
          ? this.historyReads.read(channel, command)
          : reply("history_failed", channel, id, problem);
      }
      default:
        return reply("action_not_allowed", channel, id);
    }
  }

  private isChannel(channel: string | undefined): channel is string {
    return isValidName(channel, this.options.maxChannelBytes);
  }

  /** The `*_failed` reply to a command whose channel, else its data, is not one it can take; says which. */
  private failed(event: ReplyEvent, { channel, id, data }: Command): Reply {
    const problem = nameProblem(channel, this.options.maxChannelBytes);
    return reply(event, channel, id, problem === undefined ? dataProblem(data) : CHANNEL_REASONS[problem]);
  }

  /**
   * Whether `session` holds as many channels as it may. Reservations and subscriptions still being confirmed
   * are already in its sets, so concurrent commands cannot overshoot.
   */
  private atChannelLimit(session: Session, channel: string): boolean {
    const limit = this.options.maxChannelsPerConnection;
    if (session.registrations.size + session.subscriptions.size < limit) return false;
    this.counters.limitHits.channels++;
    this.logger.info({ key: session.key, channel, limit }, "channel limit");
    return true;
  }

  /** The permission rules refuse this command (checked before anything else happens, adapter included). */
  private refused(session: Session, { event, channel }: Command): boolean {
    const { permissions } = this.options;
    const action =
      event === "history" || event === "presence" ? "subscribe" : event === "request" ? "send" : event;
    if (permissions === undefined || session.trusted || !isGuardedAction(action) || !this.isChannel(channel))
      return false;
    if (permissions.allows(action, channel, session)) return false;
    this.logger.info({ key: session.key, event, channel }, "permission denied");
    return true;
  }

  private counted(command: Command, answer: Reply): Reply {
    // A request on its way is counted when its outcome comes (RequestReply).
    if (answer !== ANSWERED_APART) this.counters.countCommand(command.event, answer.event);
    return answer;
  }

  private fault(error: unknown, session: Session, command: Command): Reply {
    this.logger.error(
      { err: error, key: session.key, event: command.event, channel: command.channel },
      "command failed",
    );
    return reply("internal_error", command.channel, command.id, faultReason(error));
  }
}

/** Pending requests per connection, unless configured otherwise (option maxPendingRequests). */
export const DEFAULT_MAX_PENDING_REQUESTS = 100;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
const MAX_REQUEST_TIMEOUT_MS = 60_000;

const NOWHERE = () => undefined;

/** Frames up to 1 MiB, unless configured otherwise (option maxFrameBytes). */
const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

const JOINING: AdapterHealth = { fields: {}, problem: "joining its distribution layer" };

/** What a channel name's problem is called in a `*_failed` reply. */
const CHANNEL_REASONS: Readonly<Record<NameProblem, Reason>> = {
  absent: "missing channel",
  "not a string": "channel is not a string",
  empty: "channel name is empty",
  "too long": "channel name too long",
  quote: "channel name contains a quote",
  "lone surrogate": "channel name is not valid UTF-8",
  "format character": "channel name contains a format character",
  whitespace: "channel name contains whitespace",
  "control character": "channel name contains a control character",
};

/**
 * Why `data` is no data, or undefined when it is. Missing data (absent or null) is not data; empty data is.
 * Functions, symbols and bigints (from a native client) cannot travel.
 */
function dataProblem(data: Command["data"]): Reason | undefined {
  if (data === undefined || data === null) return "missing data";
  const type = typeof data;
  return type === "function" || type === "symbol" || type === "bigint"
    ? "data is not text, JSON or bytes"
    : undefined;
}

function isData(data: Command["data"]): data is Data {
  return dataProblem(data) === undefined;
}

/**
 * What is wrong with a command's offset, epoch or limit (a native client's: the codecs check their types), or
 * undefined. An epoch without an offset is ignored.
 */
function positionProblem({ offset, epoch, limit }: Command): Reason | undefined {
  if (offset !== undefined && !isWholeNumber(offset)) return "offset is not a whole number";
  if (offset !== undefined && epoch === undefined) return "offset without epoch";
  if (epoch !== undefined && typeof epoch !== "string") return "epoch is not a string";
  if (limit !== undefined && !isWholeNumber(limit)) return "limit is not a whole number";
  return undefined;
}
