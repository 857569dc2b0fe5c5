import { performance } from "node:perf_hooks";
import type { RedisLink } from "./link.js";

/** `link`, handing the duration in seconds of each command, publish and (un)subscribe, failed or not, to `observe`. */
export function timedLink(link: RedisLink, observe: (seconds: number) => void): RedisLink {
  const timed = <T>(started: number, work: Promise<T>): Promise<T> =>
    work.finally(() => observe((performance.now() - started) / 1000));
  return {
    mode: link.mode,
    command: (key, args, bytes) => timed(performance.now(), link.command(key, args, bytes)),
    publish: (channel, message) => timed(performance.now(), link.publish(channel, message)),
    subscribe: (channel, listener) => timed(performance.now(), link.subscribe(channel, listener)),
    unsubscribe: (channel) => timed(performance.now(), link.unsubscribe(channel)),
    onConnectionLost: (handler) => link.onConnectionLost(handler),
    onReconnect: (handler) => link.onReconnect(handler),
    isUp: () => link.isUp(),
    close: () => link.close(),
  };
}
