import type { Dialect, DialectName } from "./dialect.js";
import { nats } from "./nats-dialect.js";
import { socketIo } from "./socketio-dialect.js";
import { westJson, westPb } from "./west-dialects.js";

/** Dialects by name, so that a load worker in another process can pick the one it is told. */
export const DIALECTS: Record<DialectName, Dialect> = {
  "west-json": westJson,
  "west-pb": westPb,
  socketio: socketIo,
  nats,
};
