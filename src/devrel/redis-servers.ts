import { RedisProcess, startOnFreePort } from "./redis-process.js";

export { type RedisCluster, type RedisClusterOptions, startRedisCluster } from "./redis-cluster.js";

/** A redis-server of its own on 127.0.0.1, for tests, the benchmark and `west devrel`. */
export interface RedisServer {
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Its temp dir, removed by stop(). */
  readonly dir: string;
  /** The current process's pid; a restart changes it, and it is undefined while the server is down. */
  readonly pid: number | undefined;
  /** Stops it for good (SIGTERM, SIGKILL after a few seconds) and removes its temp dir. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash; `restart()` brings it back. */
  kill9(): Promise<void>;
  /** Stops it (if it runs) and starts it again on the same port, with no data. */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** Default: a free port. */
  port?: number;
  /** More config arguments, e.g. `["--requirepass", "secret"]`. */
  args?: readonly string[];
}

/** Starts a redis-server with no persistence and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const server =
    options.port === undefined
      ? await startOnFreePort([], options.args)
      : await RedisProcess.start(options.port, options.args);
  return {
    url: `redis://127.0.0.1:${server.port}`,
    port: server.port,
    dir: server.dir,
    get pid() {
      return server.pid;
    },
    stop: () => server.remove(),
    kill9: () => server.kill9(),
    restart: () => server.restart(),
  };
}
