import type { Logger } from "../log.js";
import { AdapterCalls } from "./adapter-calls.js";
import { ChannelFeatures } from "./channel-features.js";
import { Counters } from "./counters.js";
import { faultReason } from "./faults.js";
import { HistoryReads } from "./history-reads.js";
import {
  type Command,
  type Data,
  isWholeNumber,
  type Reason,
  type Reply,
  type ReplyEvent,
  reply,
} from "./message.js";
import { isValidName, type NameProblem, nameProblem } from "./names.js";
import { isGuardedAction, type Permissions } from "./permissions.js";
import { PointToPoint } from "./point-to-point.js";
import { PubSub } from "./pub-sub.js";
import type { Adapter, AdapterHealth, Awaitable, NodeEvents, NodeStats } from "./seam.js";
import { type Endpoint, type Identity, Session } from "./session.js";

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
  private readonly pubSub: PubSub;
  private readonly historyReads: HistoryReads;
  private readonly features: ChannelFeatures;
  private readonly sessions = new Map<number, Session>();
  private nextSessionId = 1;

  constructor(private readonly options: CoreOptions) {
    this.logger = options.logger;
    this.adapters = new AdapterCalls(options.commandTimeoutMs, options.logger);
    const atLimit = (session: Session, channel: string) => this.atChannelLimit(session, channel);
    this.pointToPoint = new PointToPoint(
      this.adapters,
      this.counters,
      this.logger,
      options.commandTimeoutMs,
      atLimit,
    );
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
      direct: (origin, message) => this.pointToPoint.receiveDirect(origin, message),
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
    };
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

  /** Executes one command for `session`; never throws and never rejects: faults become `internal_error`. */
  run(session: Session, command: Command): Awaitable<Reply> {
    const { channel, id } = command;
    if (session.closed)
      return this.counted(command, reply("internal_error", channel, id, "connection closed"));
    try {
      const result = this.dispatch(session, command);
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

  private dispatch(session: Session, command: Command): Awaitable<Reply> {
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
    const action = event === "history" || event === "presence" ? "subscribe" : event;
    if (permissions === undefined || session.trusted || !isGuardedAction(action) || !this.isChannel(channel))
      return false;
    if (permissions.allows(action, channel, session)) return false;
    this.logger.info({ key: session.key, event, channel }, "permission denied");
    return true;
  }

  private counted(command: Command, answer: Reply): Reply {
    this.counters.countCommand(command.event, answer.event);
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
