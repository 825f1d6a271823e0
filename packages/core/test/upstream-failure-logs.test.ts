import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGuard } from '../src/create-guard.js';
import type { GuardOptions } from '../src/options/types.js';
import type { TokenGuardLogger } from '../src/types.js';

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise<void>((resolve) => s.close(() => resolve()));
    }),
  );
});

/** An introspection endpoint that answers every call with `status`. */
async function answering(status: number): Promise<number> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** An introspection endpoint that accepts the call and never answers. */
async function hanging(): Promise<number> {
  const server = createServer(() => {});
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function guardAt(port: number, logger: unknown, extra: Partial<GuardOptions> = {}) {
  return createGuard({
    introspection: {
      endpoint: `http://127.0.0.1:${port}/introspect`,
      clientAuth: { method: 'bearer', token: 'guard-credential' },
      http: { timeoutMs: 200 },
      breakerThreshold: 0,
    },
    allowInsecureHttp: true,
    cache: false,
    logger: logger as TokenGuardLogger,
    ...extra,
  });
}

const request = (token: string) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
});

describe('upstream failures are logged with their cause, once per burst', () => {
  it('connection refused names host:port, once for a burst, with one tokenguard prefix', async () => {
    const port = await closedPort();
    const lines: unknown[][] = [];
    const logger = {
      warn: (...args: unknown[]) => lines.push(args),
      error: (...args: unknown[]) => lines.push(args),
    };
    const guard = guardAt(port, logger);
    const answers = await Promise.allSettled(
      ['t1', 't2', 't3', 't4', 't5'].map((t) => guard.authenticate(request(t))),
    );
    await guard.close();
    expect(answers.every((a) => a.status === 'rejected')).toBe(true);
    expect(lines).toHaveLength(1);
    const [message, detail] = lines[0] as [string, unknown];
    expect(message).toBe(
      `tokenguard: introspection endpoint 127.0.0.1:${port} refused the connection`,
    );
    expect(detail).toEqual({ code: 'temporarily_unavailable', status: 503 });
    expect(JSON.stringify(lines)).not.toContain('guard-credential');
  });

  it('an HTTP status and a timeout are named with their figures', async () => {
    const lines: string[] = [];
    const logger = {
      warn: (message: string) => lines.push(message),
      error: (message: string) => lines.push(message),
    };
    const broken = guardAt(await answering(502), logger);
    await expect(broken.authenticate(request('a'))).rejects.toMatchObject({ status: 503 });
    await broken.close();
    const slow = guardAt(await hanging(), logger);
    await expect(slow.authenticate(request('b'))).rejects.toMatchObject({ status: 503 });
    await slow.close();
    expect(lines).toEqual([
      'tokenguard: introspection endpoint answered HTTP 502',
      expect.stringMatching(
        /^tokenguard: introspection endpoint 127\.0\.0\.1:\d+ timed out after 200 ms$/,
      ),
    ]);
  });

  it('a pino logger (child() and bindings()) is called in its own (object, message) order', async () => {
    const port = await closedPort();
    const calls: unknown[][] = [];
    const pinoLike = {
      warn: (...args: unknown[]) => calls.push(args),
      error: (...args: unknown[]) => calls.push(args),
      child: () => pinoLike,
      bindings: () => ({}),
    };
    const guard = guardAt(port, pinoLike);
    await expect(guard.authenticate(request('p'))).rejects.toMatchObject({ status: 503 });
    await guard.close();
    expect(calls).toEqual([
      [
        { code: 'temporarily_unavailable', status: 503 },
        `tokenguard: introspection endpoint 127.0.0.1:${port} refused the connection`,
      ],
    ]);
  });

  it('the request logger of a call (pino order) is used before the guard logger', async () => {
    const port = await closedPort();
    const guardLines: unknown[] = [];
    const requestLines: unknown[][] = [];
    const guard = guardAt(port, { warn: (m: string) => guardLines.push(m), error() {} });
    const log = {
      warn: (...args: unknown[]) => requestLines.push(args),
      error: (...args: unknown[]) => requestLines.push(args),
    };
    await expect(guard.authenticate(request('r'), { log })).rejects.toMatchObject({ status: 503 });
    await guard.close();
    expect(guardLines).toEqual([]);
    expect(requestLines[0]?.[0]).toEqual({ code: 'temporarily_unavailable', status: 503 });
  });
});
