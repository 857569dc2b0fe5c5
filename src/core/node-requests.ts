import type { Logger } from "../log.js";
import type { AnswerBody, DirectMessage, RequestBody } from "./node-messages.js";
import type { Awaitable } from "./seam.js";

/** Why a request got no answer: none came in time, or the backplane knew at once that no one received it. */
export type NoAnswer = "timeout" | "unreachable";

/** How a request reaches another node: the backplane's direct(). */
export type DirectSend = (nodeId: string, message: DirectMessage) => Awaitable<boolean>;

/** What this node does with a request from another node: its answer. */
export type Serve = (body: RequestBody) => Awaitable<AnswerBody>;

/** Correlation ids are 32 bits on the wire; they wrap long before two requests in flight could share one. */
const MAX_REQUEST_ID = 0xffffffff;

/**
 * Requests between nodes and their answers, written once for every kind of request (a send to an owner, a reply
 * to a requester): each request this node makes gets a correlation id, a timeout, and its waiter is cleaned up
 * whatever happens; an answer that comes after its request ended (timed out, say) is dropped: it finds no waiter.
 * A request from another node is served and answered.
 */
export class NodeRequests {
  private readonly waiting = new Map<number, (answer: AnswerBody | NoAnswer) => void>();
  private lastId = 0;

  /**
   * How long a request waits for its answer unless told otherwise: three quarters of the command timeout, so that
   * the command that made it can still answer its client with what the silence means.
   */
  readonly askTimeoutMs: number;

  constructor(
    private readonly direct: DirectSend,
    private readonly serve: Serve,
    private readonly logger: Logger,
    commandTimeoutMs: number,
  ) {
    this.askTimeoutMs = Math.max(1, Math.floor((commandTimeoutMs * 3) / 4));
  }

  /** Requests in flight (their waiters); 0 once every request has ended. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Sends `body` to `nodeId` and resolves to its answer, or to why none came within `timeoutMs`. */
  ask(nodeId: string, body: RequestBody, timeoutMs = this.askTimeoutMs): Promise<AnswerBody | NoAnswer> {
    this.lastId = this.lastId >= MAX_REQUEST_ID ? 1 : this.lastId + 1;
    const requestId = this.lastId;
    return new Promise<AnswerBody | NoAnswer>((resolve, reject) => {
      const timer = setTimeout(() => end("timeout"), timeoutMs);
      const forget = () => {
        clearTimeout(timer);
        this.waiting.delete(requestId);
      };
      const end = (answer: AnswerBody | NoAnswer) => {
        forget();
        resolve(answer);
      };
      const fail = (error: unknown) => {
        forget();
        reject(error);
      };
      this.waiting.set(requestId, end);
      let sent: Awaitable<boolean>;
      try {
        sent = this.direct(nodeId, { type: "request", requestId, body });
      } catch (error) {
        fail(error);
        return;
      }
      if (sent instanceof Promise) sent.then(received, fail);
      else received(sent);

      function received(anyone: boolean): void {
        if (!anyone) end("unreachable");
      }
    });
  }

  /** A message from another node: an answer ends its request, if that is still waiting; a request is served. */
  receive(origin: string, message: DirectMessage): void {
    if (message.type === "answer") {
      this.waiting.get(message.requestId)?.(message.body);
      return;
    }
    const { requestId, body } = message;
    new Promise<AnswerBody>((resolve) => resolve(this.serve(body)))
      .then((answer) => this.direct(origin, { type: "answer", requestId, body: answer }))
      .catch((error: unknown) =>
        this.logger.warn({ err: error, origin, request: body.type }, "could not answer a node's request"),
      );
  }
}
