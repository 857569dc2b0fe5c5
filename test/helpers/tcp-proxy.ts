import { connect, createServer, type Server, type Socket } from "node:net";
import { after } from "node:test";

/**
 * A loopback TCP proxy in front of a node, to break connections the way networks do: `cut()` drops every
 * connection at once (the client sees 1006), `freeze()` stops passing what the node sends on the connections open
 * now (a reply that never comes, a connection gone silent), `refuse` turns new connections away. Closed when the test file ends.
 */
export class TcpProxy {
  readonly pairs = new Set<[client: Socket, node: Socket]>();
  /** Connections accepted so far. */
  accepted = 0;
  refuse = false;
  private readonly frozen = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, targetPort));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    proxy = new TcpProxy(server, address.port);
    after(() => proxy?.close());
    return proxy;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Drops every connection without a close frame. */
  cut(): void {
    for (const [client, node] of this.pairs) {
      client.destroy();
      node.destroy();
    }
    this.pairs.clear();
    this.frozen.clear();
  }

  /** From now on, nothing the node sends on the connections open now reaches their clients. */
  freeze(): void {
    for (const [, node] of this.pairs) this.frozen.add(node);
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket, targetPort: number): void {
    this.accepted++;
    if (this.refuse) {
      client.destroy();
      return;
    }
    const node = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, node];
    this.pairs.add(pair);
    client.on("data", (chunk) => node.write(chunk));
    node.on("data", (chunk) => {
      if (!this.frozen.has(node)) client.write(chunk);
    });
    const drop = () => {
      client.destroy();
      node.destroy();
      this.pairs.delete(pair);
      this.frozen.delete(node);
    };
    client.on("close", drop);
    node.on("close", drop);
    client.on("error", drop);
    node.on("error", drop);
  }
}
