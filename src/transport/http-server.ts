import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { API_PATH, answerApiOff } from "../api/http-api.js";
import type { Logger } from "../log.js";
import { withoutToken } from "./admission.js";
import { answerNotFound, requestPath, underPrefix } from "./http-routes.js";
import { readTlsFiles, type TlsFiles } from "./tls-files.js";
import { refuseUpgrade, UNPARSABLE_URL } from "./upgrade.js";
import type { WestHttp } from "./west-http.js";

export interface HttpServerOptions {
  host: string;
  port: number;
  /** The listen backlog (option `listenBacklog`). */
  backlog: number;
  /** Serve https and wss with these files; undefined: http and ws. */
  tls: TlsFiles | undefined;
  /** The node's HTTP prefix (option `httpPrefix`), for the answer to a request outside its routes. */
  prefix: string;
  /** The WebSocket endpoints' base (option `path`), for the answer to an upgrade elsewhere. */
  endpointsBase: string;
}

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  /** Reads the TLS files again and serves new connections with them; open connections stay. Rejects when they cannot be used. */
  reloadCertificates(): Promise<void>;
  /** Stops accepting, closes every socket with 1001 and waits for the HTTP server to end. */
  close(): Promise<void>;
}

/** The node's own HTTP (or HTTPS) server on its own port, serving `west` and answering 404 to anything else. */
export async function startHttpServer(
  west: WestHttp,
  options: HttpServerOptions,
  logger: Logger,
): Promise<RunningServer> {
  const unrouted = (request: IncomingMessage, response: ServerResponse) => () => {
    const path = requestPath(request);
    const routed = path === undefined ? undefined : underPrefix(path, options.prefix);
    if (routed?.startsWith(API_PATH)) answerApiOff(request, response);
    else answerNotFound(response);
  };
  const onRequest = (request: IncomingMessage, response: ServerResponse) =>
    west.handleRequest(request, response, unrouted(request, response));
  const { tls } = options;
  const http =
    tls === undefined ? createHttpServer(onRequest) : createHttpsServer(await readTlsFiles(tls), onRequest);
  const noSuchEndpoint = {
    status: 404,
    body: `no such endpoint: use ${options.endpointsBase}/{text|json|pb}/:key\n`,
  };
  http.on("upgrade", (request, socket, head) => {
    if (west.handleUpgrade(request, socket, head)) return;
    const refusal = requestPath(request) === undefined ? UNPARSABLE_URL : noSuchEndpoint;
    logger.info({ url: withoutToken(request.url), status: refusal.status }, "upgrade refused");
    socket.on("error", () => undefined);
    refuseUpgrade(socket, refusal);
  });

  await new Promise<void>((resolve, reject) => {
    http.once("error", reject);
    http.listen({ port: options.port, host: options.host, backlog: options.backlog }, () => {
      http.off("error", reject);
      resolve();
    });
  });
  http.on("error", (error) => logger.error({ err: error }, "http server error"));
  // A TLS handshake that fails (a client that does not trust the certificate) is the client's problem.
  http.on("tlsClientError", (error) => logger.debug({ err: error }, "TLS handshake failed"));
  const { port } = http.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  logger.info({ host: options.host, port, tls: tls !== undefined }, "listening");

  return {
    port,
    url: `${tls === undefined ? "http" : "https"}://${host}:${port}`,
    async reloadCertificates() {
      if (tls === undefined || !("setSecureContext" in http)) return;
      http.setSecureContext(await readTlsFiles(tls));
      logger.info({ cert: tls.cert }, "TLS certificate reloaded");
    },
    async close() {
      const westClosed = west.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      await westClosed;
      http.closeAllConnections();
      await closed;
    },
  };
}
