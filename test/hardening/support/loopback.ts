/**
 * Small real servers on 127.0.0.1 for the fault tests (no mocks):
 *
 * - a TCP proxy in front of the identity server that counts the guard's open connections, so a
 *   test can see that a hung or half-read exchange had its socket closed by the guard, and that
 *   can stop listening (connection refused) and start again on the same port;
 * - a tiny HTTP server that counts requests (a redirect target that must never be reached);
 * - a port where nothing listens.
 */
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface CountingProxy {
  readonly url: string;
  readonly port: number;
  /** Client (guard-side) connections currently open. */
  open(): number;
  /** Client connections accepted since start. */
  total(): number;
  /** Waits until at most `max` connections are open; returns how many are (after `withinMs`). */
  settle(max: number, withinMs?: number): Promise<number>;
  /** Stops listening and destroys every connection: the port now refuses connections. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/**
 * A byte-level proxy to `127.0.0.1:targetPort()`. A reset by the target is passed on as a
 * reset, a close as a close; when the guard closes its side, the target's side is closed too.
 */
export async function startCountingProxy(targetPort: () => number): Promise<CountingProxy> {
  const clients = new Set<Socket>();
  let accepted = 0;
  let server: Server | undefined;
  let port = 0;

  function onConnection(client: Socket): void {
    accepted++;
    clients.add(client);
    const upstream = connect(targetPort(), '127.0.0.1');
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => {
      if (!client.destroyed) client.resetAndDestroy();
    });
    client.on('close', () => {
      clients.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  }

  async function listen(on: number): Promise<void> {
    const next = createServer(onConnection);
    next.listen(on, '127.0.0.1');
    await once(next, 'listening');
    server = next;
    port = (next.address() as AddressInfo).port;
  }

  await listen(0);
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    open: () => clients.size,
    total: () => accepted,
    async settle(max, withinMs = 1000) {
      const until = performance.now() + withinMs;
      while (clients.size > max && performance.now() < until) await sleep(5);
      return clients.size;
    },
    async stop() {
      const closing = server;
      server = undefined;
      if (closing === undefined) return;
      const closed = new Promise((resolve) => closing.close(resolve));
      for (const client of clients) client.destroy();
      await closed;
    },
    async start() {
      if (server === undefined) await listen(port);
    },
  };
}

export interface TinyServer {
  readonly url: string;
  /** Requests received since start. */
  readonly requests: number;
  close(): Promise<void>;
}

/** An HTTP server answering with `handler`, counting requests. */
export async function startTinyServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<TinyServer> {
  let requests = 0;
  const server = createHttpServer((req, res) => {
    requests++;
    handler(req, res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}

/** A loopback port where nothing listens: bound, noted, released. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
