import { randomFillSync } from "node:crypto";
import type { Logger } from "../log.js";
import type { AdapterCalls } from "./adapter-calls.js";
import type { Counters } from "./counters.js";
import { Fault, faultReason } from "./faults.js";
import {
  type Data,
  DELIVERY_EVENT,
  type Delivery,
  RESPONSE_EVENT,
  type Reply,
  type RequestId,
  type Response,
  reply,
} from "./message.js";
import type { ReplyOutcome, ReplyRequest } from "./node-messages.js";
import type { NodeRequests } from "./node-requests.js";
import type { PointToPoint } from "./point-to-point.js";
import type { Awaitable } from "./seam.js";
import type { Session } from "./session.js";

/** A request's one outcome, handed to its requester on its own, out of the order of replies. */
export type Outcome = Reply | Response;

/** A request waiting for its owner's reply. */
interface Pending {
  readonly session: Session;
  readonly channel: string;
  readonly id: RequestId | undefined;
  readonly timer: NodeJS.Timeout;
  readonly answer: (outcome: Outcome) => void;
}

/** Random bytes in a token: 128 bits, as docs/protocol.md promises. */
const TOKEN_RANDOM_BYTES = 16;

/**
 * Request/reply over registered channels (docs/protocol.md, "Request/reply (ext)"). A request is delivered to the
 * channel's owner like a send, with a token (reply_to) that names it: this node's id, a dot, and 128 random bits.
 * The owner's reply goes to the node the token names (node-to-node, like a send), which hands it to the waiting
 * requester. Each request ends exactly once, whichever comes first: the response, a failure to deliver it, its
 * timeout, or its requester leaving (which ends it silently). Its token dies with it.
 */
export class RequestReply {
  private readonly pending = new Map<string, Pending>();
  /** Each requester's pending tokens, while it has any. */
  private readonly bySession = new Map<Session, Set<string>>();
  private readonly random = Buffer.allocUnsafe(TOKEN_RANDOM_BYTES * 256);
  private randomUsed = this.random.length;

  constructor(
    private readonly adapters: AdapterCalls,
    private readonly pointToPoint: PointToPoint,
    private readonly requests: NodeRequests,
    private readonly counters: Counters,
    private readonly logger: Logger,
    /** Requests one connection may have pending; past it, `request_failed`. */
    private readonly maxPendingPerSession: number,
  ) {}

  /**
   * Starts a request (its channel, data and timeout already checked): undefined once it is on its way, its
   * outcome later given to `answer`; or at once, the reply that refuses it.
   */
  request(
    session: Session,
    channel: string,
    data: Data,
    id: RequestId | undefined,
    timeoutMs: number,
    answer: (outcome: Outcome) => void,
  ): Reply | undefined {
    let tokens = this.bySession.get(session);
    if (tokens !== undefined && tokens.size >= this.maxPendingPerSession)
      return reply("request_failed", channel, id, "too many pending requests on this connection");
    const token = `${this.adapters.current.registry.nodeId}.${this.randomPart()}`;
    const timer = setTimeout(() => this.end(token, reply("request_timeout", channel, id)), timeoutMs);
    this.pending.set(token, { session, channel, id, timer, answer });
    if (tokens === undefined) {
      tokens = new Set();
      this.bySession.set(session, tokens);
    }
    tokens.add(token);
    const delivery: Delivery = { event: DELIVERY_EVENT, from: session.key, channel, data, reply_to: token };
    const failed = (error: unknown) => {
      this.logger.warn({ err: error, key: session.key, channel }, "request could not be delivered");
      this.end(token, reply("internal_error", channel, id, faultReason(error)));
    };
    try {
      const delivered = this.pointToPoint.deliverRequest(delivery);
      if (delivered instanceof Promise) delivered.then((result) => this.delivered(token, result), failed);
      else this.delivered(token, delivered);
    } catch (error) {
      failed(error);
    }
    return undefined;
  }

  /** The owner `session` replies `data` to the request `token` names. */
  reply(session: Session, token: string, data: Data, id: RequestId | undefined): Awaitable<Reply> {
    if (this.pending.has(token)) return this.replyHere(session.key, token, data, id);
    const nodeId = nodeOfToken(token);
    const { registry } = this.adapters.current;
    if (nodeId === undefined || nodeId === registry.nodeId)
      return reply("reply_failed", token, id, "unknown or expired token");
    const body: ReplyRequest = { type: "reply", token, from: session.key, data };
    return this.requests.ask(nodeId, body).then((answer) => {
      if (answer === "timeout")
        throw new Fault(
          "no answer from the requester's node",
          `no answer from the requester's node ${nodeId} within ${this.requests.askTimeoutMs} ms`,
        );
      if (answer === "unreachable") return reply("reply_failed", token, id, "requester gone");
      return answer.type === "reply" && answer.outcome === "accepted"
        ? reply("reply_succeeded", token, id)
        : reply("reply_failed", token, id, "unknown or expired token");
    });
  }

  /** A reply from an owner on another node, for a request of this node. */
  receiveReply({ token, from, data }: ReplyRequest): ReplyOutcome {
    return this.respond(token, from, data) ? "accepted" : "unknown";
  }

  /** Ends every request of a requester that leaves: no outcome reaches it, and replies to them fail. */
  dropAll(session: Session): void {
    const tokens = this.bySession.get(session);
    if (tokens === undefined) return;
    this.bySession.delete(session);
    for (const token of tokens) {
      const pending = this.pending.get(token);
      if (pending === undefined) continue;
      clearTimeout(pending.timer);
      this.pending.delete(token);
    }
  }

  private replyHere(from: string, token: string, data: Data, id: RequestId | undefined): Reply {
    return this.respond(token, from, data)
      ? reply("reply_succeeded", token, id)
      : reply("reply_failed", token, id, "unknown or expired token");
  }

  /** Hands the owner's reply to the requester that waits for it; false when none does. */
  private respond(token: string, from: string, data: Data): boolean {
    const pending = this.pending.get(token);
    if (pending === undefined) return false;
    const { channel, id } = pending;
    const response: Response =
      id === undefined
        ? { event: RESPONSE_EVENT, from, channel, data }
        : { event: RESPONSE_EVENT, from, channel, id, data };
    return this.end(token, response);
  }

  /** The request was handed to its owner (sending_succeeded), or could not be (its outcome then). */
  private delivered(token: string, result: Reply): void {
    if (result.event === "sending_succeeded") return;
    const pending = this.pending.get(token);
    if (pending === undefined) return;
    this.end(token, reply(result.event, pending.channel, pending.id, result.reason));
  }

  /** Ends a request with `outcome`, if it is still pending: the one outcome its requester gets. */
  private end(token: string, outcome: Outcome): boolean {
    const pending = this.pending.get(token);
    if (pending === undefined) return false;
    clearTimeout(pending.timer);
    this.pending.delete(token);
    const tokens = this.bySession.get(pending.session);
    tokens?.delete(token);
    if (tokens?.size === 0) this.bySession.delete(pending.session);
    this.counters.countCommand("request", outcome.event);
    pending.answer(outcome);
    return true;
  }

  /** 128 random bits, base64url: drawn from a pool refilled 256 tokens at a time (one system call, not 256). */
  private randomPart(): string {
    if (this.randomUsed + TOKEN_RANDOM_BYTES > this.random.length) {
      randomFillSync(this.random);
      this.randomUsed = 0;
    }
    const start = this.randomUsed;
    this.randomUsed += TOKEN_RANDOM_BYTES;
    return this.random.toString("base64url", start, start + TOKEN_RANDOM_BYTES);
  }
}

/** The node a token names: what comes before its last dot (base64url has no dot); undefined if none. */
function nodeOfToken(token: string): string | undefined {
  const dot = token.lastIndexOf(".");
  return dot > 0 && dot < token.length - 1 ? token.slice(0, dot) : undefined;
}
