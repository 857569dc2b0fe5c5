/** A frame as a load client writes it: text frames as strings, binary frames as Buffers. */
export type Frame = string | Buffer;

/** What a dialect's reader reports about the frames it reads, to the connection that owns it. */
export interface FrameSink {
  /** A delivery whose payload starts at `at` in `frame`. */
  delivery(frame: Buffer, at: number): void;
  /** The answer to this connection's oldest unanswered request. */
  reply(ok: boolean, frame: Buffer): void;
  /** Writes a frame (e.g. the answer to a server's ping). */
  send(frame: Frame): void;
}

/**
 * The client side of one system's wire protocol, as the load generator speaks it over `ws`. Every request
 * (hello, subscribe, register, publish, send) is answered by exactly one reply, in order; a reply that is not
 * a success fails the request.
 */
export interface Dialect {
  /** Path and query of the WebSocket URL for a client with identity `key`. */
  path(key: string): string;
  /** The first request after the socket opens; its reply proves the connection usable. */
  hello(): Frame;
  /**
   * Whether the protocol needs the hello before any other request (Socket.IO's namespace connect, NATS's
   * CONNECT); WEST's protocols take a first command at once.
   */
  needsHello: boolean;
  subscribe(channel: string): Frame;
  /** Takes `channel` as a point-to-point address owned by this connection. */
  register(channel: string): Frame;
  publish(channel: string, payload: string): Frame;
  /** Sends to the connection that registered `channel`. */
  send(channel: string, payload: string): Frame;
  /** A reader for one connection's incoming frames. */
  reader(sink: FrameSink): (data: Buffer) => void;
}

export type DialectName = "west-json" | "west-pb" | "socketio" | "nats";
