import { type Command, type Reply, type Response, reply } from "./message.js";
import type { Awaitable } from "./seam.js";

/**
 * Commands that change what a client holds. Each runs alone: after every earlier command was answered, and
 * before any later one starts, so that what follows it (a publish after a subscribe, a send after a register)
 * sees it in effect in the whole system, as if the client had waited for its reply.
 */
const RUNS_ALONE: ReadonlySet<string> = new Set(["register", "unregister", "subscribe", "unsubscribe"]);

/**
 * What running a request gives once it is on its way: nothing to answer in order. Its outcome comes later, on
 * its own (docs/protocol.md, "Request/reply (ext)": the one exception to replies in command order).
 */
export const ANSWERED_APART: Reply = Object.freeze(reply("request_failed")) as Reply;

/** Gets a command's one reply (or, for a request, its one outcome, which may be a Response). */
export type ReplyHandler = (reply: Reply | Response) => void;

/** What a pipeline runs its commands on: the session it belongs to. */
export interface PipelineHost {
  /** Runs a command; `onReply` is for an outcome that comes apart from the order of replies (a request's). */
  runCommand(command: Command, onReply: ReplyHandler | undefined): Awaitable<Reply>;
  /** Hands a reply on, to `onReply` when the command came with one. */
  answer(reply: Reply, onReply: ReplyHandler | undefined): void;
}

/** A command of the pipeline: waiting to start (`command` set), running, or answered (`reply` set). */
interface Slot {
  command: Command | undefined;
  reply: Reply | undefined;
  readonly onReply: ReplyHandler | undefined;
  readonly alone: boolean;
  /** The channel of a send: sends of one client to one channel run one at a time. */
  readonly sendTo: string | undefined;
}

/**
 * One client's commands, pipelined (docs/protocol.md, "Pipelining"): a publish, a send or a ping starts as soon
 * as it arrives, without waiting for the answers to the commands before it, so that a client with many commands
 * in flight gets them to the distribution layer together. Replies still go out in command order. A command that
 * changes what the client holds runs alone (RUNS_ALONE); a send waits for the answer to the client's previous send
 * to the same channel (the owner's node accepts them in order, whatever the network between nodes does); and at
 * most `maxInFlight` commands run at once: the others wait their turn, in order.
 */
export class CommandPipeline {
  /** Commands not yet answered to the client, in the order they arrived. */
  private readonly slots: Slot[] = [];
  private running = 0;
  private waiting = 0;
  /** Commands that run alone, not yet answered: later commands wait for them. */
  private alone = 0;
  /** Sends not yet answered, per channel; made on first use (most connections never wait on a send). */
  private sending: Map<string, number> | undefined;
  private pumping = false;

  constructor(
    private readonly host: PipelineHost,
    private readonly maxInFlight: number,
  ) {}

  private run(command: Command, onReply: ReplyHandler | undefined): Awaitable<Reply> {
    return this.host.runCommand(command, onReply);
  }

  private answer(reply: Reply, onReply: ReplyHandler | undefined): void {
    this.host.answer(reply, onReply);
  }

  /** Commands started and not yet answered. */
  get inFlight(): number {
    return this.running;
  }

  execute(command: Command, onReply?: ReplyHandler): void {
    const alone = RUNS_ALONE.has(command.event);
    const sendTo = sendChannel(command);
    if (
      !alone &&
      this.waiting === 0 &&
      this.alone === 0 &&
      this.running < this.maxInFlight &&
      (sendTo === undefined || this.sending?.has(sendTo) !== true)
    ) {
      const result = this.run(command, onReply);
      if (this.slots.length === 0 && !(result instanceof Promise)) {
        this.answer(result, onReply);
        return;
      }
      const slot: Slot = { command: undefined, reply: undefined, onReply, alone, sendTo };
      this.slots.push(slot);
      this.follow(slot, result);
      return;
    }
    this.slots.push({ command, reply: undefined, onReply, alone, sendTo });
    this.waiting++;
    if (alone) this.alone++;
    if (sendTo !== undefined) this.countSend(sendTo);
    this.pump();
  }

  /** Takes over `command`, started while the pipeline was empty (it did not exist yet), and its pending `result`. */
  adopt(command: Command, result: Promise<Reply>, onReply?: ReplyHandler): void {
    const alone = RUNS_ALONE.has(command.event);
    const sendTo = sendChannel(command);
    const slot: Slot = { command: undefined, reply: undefined, onReply, alone, sendTo };
    this.slots.push(slot);
    if (alone) this.alone++;
    this.follow(slot, result);
  }

  /** Gives `reply`, answered without running a command, its place in the order of replies. */
  respond(reply: Reply): void {
    if (this.slots.length === 0) this.answer(reply, undefined);
    else this.slots.push({ command: undefined, reply, onReply: undefined, alone: false, sendTo: undefined });
  }

  /** Waits for a started command's reply (a slot that was waiting is already counted in `sending`). */
  private follow(slot: Slot, result: Awaitable<Reply>, counted = false): void {
    if (!(result instanceof Promise)) {
      this.answered(slot, result, counted);
      return;
    }
    const { sendTo } = slot;
    if (sendTo !== undefined && !counted) this.countSend(sendTo);
    this.running++;
    result.then((reply) => {
      this.running--;
      this.answered(slot, reply, true);
      this.pump();
    });
  }

  private answered(slot: Slot, reply: Reply, counted: boolean): void {
    slot.reply = reply;
    const { sendTo } = slot;
    if (sendTo === undefined || !counted) return;
    const sending = this.sending as Map<string, number>;
    const left = (sending.get(sendTo) ?? 1) - 1;
    if (left > 0) sending.set(sendTo, left);
    else sending.delete(sendTo);
  }

  private countSend(channel: string): void {
    this.sending ??= new Map();
    this.sending.set(channel, (this.sending.get(channel) ?? 0) + 1);
  }

  /** Hands on the replies that are next in order, and starts the waiting commands that may start now. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      do this.answerReady();
      while (this.waiting > 0 && this.startReady());
    } finally {
      this.pumping = false;
    }
  }

  private answerReady(): void {
    const { slots } = this;
    while (slots.length > 0) {
      const head = slots[0] as Slot;
      if (head.reply === undefined) return;
      slots.shift();
      if (head.alone) this.alone--;
      this.answer(head.reply, head.onReply);
    }
  }

  /** Starts the waiting commands that may start; true when one of them was answered at once. */
  private startReady(): boolean {
    const { slots } = this;
    /** Channels with an earlier send not yet answered. */
    const busy = new Set<string>();
    let answered = false;
    for (let i = 0; i < slots.length && this.running < this.maxInFlight; i++) {
      const slot = slots[i] as Slot;
      const { command, sendTo } = slot;
      if (command === undefined) {
        if (slot.reply !== undefined) continue;
        if (slot.alone) break;
        if (sendTo !== undefined) busy.add(sendTo);
        continue;
      }
      // A command that runs alone waits for every earlier one to be answered, and holds back every later one.
      if (slot.alone && i > 0) break;
      if (sendTo !== undefined) {
        if (busy.has(sendTo)) continue;
        busy.add(sendTo);
      }
      slot.command = undefined;
      this.waiting--;
      this.follow(slot, this.run(command, slot.onReply), true);
      if (slot.reply !== undefined) answered = true;
      if (slot.alone) break;
    }
    return answered;
  }
}

/** The channel of a send (whose order per channel the pipeline keeps), or undefined for any other command. */
function sendChannel(command: Command): string | undefined {
  return command.event === "send" && typeof command.channel === "string" ? command.channel : undefined;
}
