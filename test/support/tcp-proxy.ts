/**
 * A tiny TCP proxy on loopback, in the test process, between worker processes and a server. It
 * can cut every connection at once and refuse new ones (its port closed) until told to accept
 * again, which is what a client sees when the network to its broker drops and comes back.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/** Rewrites the bytes of one proxied connection; each direction may hold back an incomplete frame. */
export interface ProxyCodec {
  /** Bytes from the client, to forward to the server. */
  toServer(chunk: Buffer): Buffer[];
  /** Bytes from the server, to forward to the client. */
  toClient(chunk: Buffer): Buffer[];
}

/** Where the proxy forwards, and how it rewrites what passes. */
export interface TcpProxyOptions {
  target: { host: string; port: number };
  /** A codec per connection, told the proxy's own port (default: bytes pass unchanged). */
  codec?: (proxyPort: number) => ProxyCodec;
}

/** A running proxy. */
export interface TcpProxy {
  /** The port clients connect to (127.0.0.1). */
  readonly port: number;
  /**
   * Resets every open connection (both sides) and closes the port, so new connections are refused
   * until `accept()`. Resolves with how many connections it cut.
   */
  refuse(): Promise<number>;
  /** Listens again on the same port. */
  accept(): Promise<void>;
  /** Closes the port and resets every connection. */
  close(): Promise<void>;
}

const passThrough: ProxyCodec = { toServer: (chunk) => [chunk], toClient: (chunk) => [chunk] };

/** Starts a proxy on an ephemeral loopback port forwarding to `options.target`. */
export async function startTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const connections = new Set<{ client: Socket; server: Socket }>();
  let port = 0;

  const onConnection = (client: Socket) => {
    const server = connect(options.target);
    const pair = { client, server };
    connections.add(pair);
    const codec = options.codec?.(port) ?? passThrough;
    const drop = () => {
      connections.delete(pair);
      client.destroy();
      server.destroy();
    };
    relay(client, server, (chunk) => codec.toServer(chunk), drop);
    relay(server, client, (chunk) => codec.toClient(chunk), drop);
  };

  let listener = await listen(createServer(onConnection), port);
  port = (listener.address() as AddressInfo).port;

  const refuse = async () => {
    const closed = closeServer(listener);
    const cut = connections.size;
    for (const { client, server } of connections) {
      client.resetAndDestroy();
      server.resetAndDestroy();
    }
    connections.clear();
    await closed;
    return cut;
  };

  return {
    port,
    refuse,
    async accept() {
      if (!listener.listening) listener = await listen(createServer(onConnection), port);
    },
    async close() {
      await refuse();
    },
  };
}

/** Forwards `from` to `to` through `transform`, pausing `from` while `to` is full; `drop` on either end's close. */
function relay(from: Socket, to: Socket, transform: (chunk: Buffer) => Buffer[], drop: () => void): void {
  from.on('data', (chunk: Buffer) => {
    let full = false;
    for (const out of transform(chunk)) full = !to.write(out) || full;
    if (full) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => to.end());
  from.on('error', drop);
  from.on('close', drop);
}

function listen(server: Server, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Stops accepting at once; resolves when the server has closed (its connections are destroyed by the caller). */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
