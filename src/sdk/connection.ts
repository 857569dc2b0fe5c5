import { Backoff, type BackoffOptions } from "./backoff.js";
import { type AfterClose, afterClose, type CloseReason, closeReasonOf } from "./close-reasons.js";
import type { Codec, Wire } from "./codecs/wire.js";
import { endpointUrl, refusalStatus, type SocketLike, type WebSocketClass } from "./socket.js";

export type ConnectionState = "disconnected" | "connecting" | "connected" | "closed";

/** How a connection ended: the reason, the close code when one came, the HTTP status of a refused upgrade. */
export interface CloseInfo {
  reason: CloseReason;
  code?: number;
  status?: number;
  /** The URL it was on. */
  url: string;
}

export interface KeepaliveOptions {
  /** After this long without a frame from the node, the SDK pings it (default 20 s)... */
  intervalMs?: number;
  /** ...and gives the connection up when nothing comes within this long more (default 10 s). */
  timeoutMs?: number;
}

export interface ConnectionOptions {
  urls: string[];
  /** The endpoints' path on each URL (default `/websocket`). */
  path: string;
  key: string | undefined;
  codec: Codec;
  WebSocket: WebSocketClass;
  token: string | undefined;
  getToken: (() => string | Promise<string>) | undefined;
  reconnect: BackoffOptions & { stableAfterMs?: number };
  /** An attempt that has not opened within this long is given up (default 15 s). */
  connectTimeoutMs?: number;
  keepalive: KeepaliveOptions;
}

export interface ConnectionEvents {
  state(state: ConnectionState, info: CloseInfo | undefined): void;
  open(): void;
  message(message: Wire): void;
  /** A connection that was open has ended; `state` follows. */
  lost(info: CloseInfo): void;
  error(error: unknown): void;
  /** Every frame written or read, with what it holds (for tools that show the traffic). */
  frame(direction: "out" | "in", message: Wire, frame: string | Uint8Array | ArrayBuffer): void;
}

/**
 * What a stopped socket keeps of its handlers: none but a silent error handler (the `ws` package throws an
 * error event that has no listener, as a socket closed while connecting emits).
 */
const DETACHED = { onopen: null, onmessage: null, onclose: null, onerror: () => undefined };

/**
 * One WebSocket at a time to one of `urls`, tried in turn, reconnected with backoff until `close()`: the
 * connection's life, its keepalive and its token. What goes over it is the client's business.
 */
export class Connection {
  private state: ConnectionState = "disconnected";
  private socket: SocketLike | undefined;
  private urlIndex = 0;
  private base = "";
  private readonly backoff: Backoff;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stableTimer: ReturnType<typeof setTimeout> | undefined;
  /** Gives the connection up: the connect timeout until it opens, then the keepalive. */
  private watchdog: ReturnType<typeof setTimeout> | undefined;
  private lastFrameAt = 0;
  private freshTokenTried = false;
  private lastWasImmediate = false;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly events: ConnectionEvents,
  ) {
    this.backoff = new Backoff(options.reconnect);
  }

  get current(): ConnectionState {
    return this.state;
  }

  get isOpen(): boolean {
    return this.state === "connected";
  }

  start(): void {
    if (this.state === "disconnected" && this.retryTimer === undefined) void this.attempt();
  }

  send(message: Wire): void {
    const frame = this.options.codec.encode(message);
    this.socket?.send(frame);
    this.events.frame("out", message, frame);
  }

  /** Closes for good: no reconnect after this. */
  close(): void {
    if (this.state === "closed") return;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const socket = this.socket;
    this.stop();
    socket?.close(1000);
    this.setState("closed", undefined);
  }

  private async attempt(): Promise<void> {
    this.retryTimer = undefined;
    const base = this.options.urls[this.urlIndex % this.options.urls.length] as string;
    this.base = base;
    this.setState("connecting", undefined);
    let token: string | undefined;
    try {
      token = this.options.getToken === undefined ? this.options.token : await this.options.getToken();
    } catch (error) {
      this.events.error(error);
      this.retry({ reason: "refused", url: base }, "reconnect_later");
      return;
    }
    if (this.state !== "connecting") return;
    const { path, key, codec } = this.options;
    const url = endpointUrl(base, path, codec.protocol, key, token);
    let socket: SocketLike;
    try {
      socket = new this.options.WebSocket(url) as SocketLike;
    } catch (error) {
      this.events.error(error);
      this.retry({ reason: "unreachable", url: base }, "reconnect_later");
      return;
    }
    this.socket = socket;
    socket.binaryType = "arraybuffer";
    let opened = false;
    // An upgrade whose answer never comes (a silent network, a proxy holding it) must not wait forever.
    this.watchdog = setTimeout(() => {
      this.stop();
      socket.close();
      this.retry({ reason: "unreachable", url: base }, "reconnect_later");
    }, this.options.connectTimeoutMs ?? 15_000);
    socket.onopen = () => {
      opened = true;
      clearTimeout(this.watchdog);
      this.opened();
    };
    socket.onmessage = (event) => this.received(event.data);
    socket.onerror = () => undefined;
    socket.onclose = (event) => {
      this.stop();
      if (opened) this.ended({ reason: closeReasonOf(event.code), code: event.code, url: base });
      else void this.refused(url, base);
    };
  }

  private opened(): void {
    this.freshTokenTried = false;
    this.lastWasImmediate = false;
    this.lastFrameAt = Date.now();
    this.stableTimer = setTimeout(() => this.backoff.reset(), this.options.reconnect.stableAfterMs ?? 5_000);
    this.scheduleKeepalive(this.options.keepalive.intervalMs ?? 20_000);
    // Open first, so that the state is made again before anything a `connected` listener sends.
    this.state = "connected";
    this.events.open();
    this.events.state("connected", undefined);
  }

  private received(frame: unknown): void {
    this.lastFrameAt = Date.now();
    let message: Wire;
    try {
      message = this.options.codec.decode(frame as string | ArrayBuffer);
    } catch (error) {
      this.events.error(error);
      return;
    }
    this.events.frame("in", message, frame as string | ArrayBuffer);
    this.events.message(message);
  }

  /** A connection that was open ended. */
  private ended(info: CloseInfo): void {
    this.events.lost(info);
    this.retry(info, afterClose(info.reason));
  }

  /** An upgrade that never opened: the admission check says why, if the node can be reached. */
  private async refused(url: string, base: string): Promise<void> {
    const status = await refusalStatus(url, 5_000);
    if (this.state !== "connecting") return;
    if (status === undefined) {
      this.retry({ reason: "unreachable", url: base }, "reconnect_later");
      return;
    }
    // A 401 may be an expired token: ask for a new one once, at once, before backing off.
    const now = status === 401 && this.options.getToken !== undefined && !this.freshTokenTried;
    if (now) this.freshTokenTried = true;
    this.retry({ reason: "refused", status, url: base }, now ? "reconnect_now" : "reconnect_later");
  }

  private retry(info: CloseInfo, after: AfterClose): void {
    if (this.state === "closed") return;
    if (after === "stay_closed") {
      this.setState("closed", info);
      return;
    }
    this.setState("disconnected", info);
    // Once at once, on the same URL; if that connection ends the same way, back off like any other, and move
    // on to the next URL.
    const immediate = after === "reconnect_now" && !this.lastWasImmediate;
    this.lastWasImmediate = immediate;
    if (!immediate) this.urlIndex++;
    const delay = immediate ? 0 : this.backoff.next();
    this.retryTimer = setTimeout(() => void this.attempt(), delay);
  }

  private scheduleKeepalive(delayMs: number): void {
    this.watchdog = setTimeout(() => this.checkAlive(), delayMs);
  }

  private checkAlive(): void {
    const interval = this.options.keepalive.intervalMs ?? 20_000;
    const quietFor = Date.now() - this.lastFrameAt;
    if (quietFor < interval) {
      this.scheduleKeepalive(interval - quietFor);
      return;
    }
    this.send({ event: "ping", id: "keepalive" });
    const pingedAt = Date.now();
    this.watchdog = setTimeout(() => {
      if (this.lastFrameAt >= pingedAt) this.scheduleKeepalive(interval);
      else this.abandon();
    }, this.options.keepalive.timeoutMs ?? 10_000);
  }

  /** The connection is dead without having said so: stop listening to it and treat it as ended. */
  private abandon(): void {
    const socket = this.socket;
    this.stop();
    try {
      socket?.close(4000, "keepalive");
    } catch {
      // A socket that cannot even be closed is gone anyway.
    }
    this.ended({ reason: "keepalive", url: this.base });
  }

  /** Forgets the current socket and its timers. */
  private stop(): void {
    if (this.socket !== undefined) Object.assign(this.socket, DETACHED);
    this.socket = undefined;
    clearTimeout(this.stableTimer);
    clearTimeout(this.watchdog);
    this.stableTimer = undefined;
    this.watchdog = undefined;
  }

  private setState(state: ConnectionState, info: CloseInfo | undefined): void {
    if (this.state === state && info === undefined) return;
    this.state = state;
    this.events.state(state, info);
  }
}
