import type { AnswerBody, DirectMessage, RequestBody } from "./node-messages.js";
import type { Awaitable } from "./seam.js";

/** Why a request got no answer: none came in time, or the backplane knew at once that no one received it. */
export type NoAnswer = "timeout" | "unreachable";

/** How a request reaches another node: the backplane's direct(). */
export type DirectSend = (nodeId: string, message: DirectMessage) => Awaitable<boolean>;

/** Correlation ids are 32 bits on the wire; they wrap long before two requests in flight could share one. */
const MAX_REQUEST_ID = 0xffffffff;

/**
 * Requests to other nodes and their answers, written once for every kind of request: each gets a correlation
 * id, a timeout, and its waiter is cleaned up whatever happens. An answer that comes after its request ended
 * (timed out, say) is dropped: it finds no waiter.
 */
export class NodeRequests {
  private readonly waiting = new Map<number, (answer: AnswerBody | NoAnswer) => void>();
  private lastId = 0;

  constructor(private readonly direct: DirectSend) {}

  /** Requests in flight (their waiters); 0 once every request has ended. */
  get inFlight(): number {
    return this.waiting.size;
  }

  /** Sends `body` to `nodeId` and resolves to its answer, or to why none came within `timeoutMs`. */
  ask(nodeId: string, body: RequestBody, timeoutMs: number): Promise<AnswerBody | NoAnswer> {
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

  /** An answer from another node: ends its request, if that is still waiting. */
  answered(requestId: number, body: AnswerBody): void {
    this.waiting.get(requestId)?.(body);
  }
}
