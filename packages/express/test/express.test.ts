/**
 * What only the Express adapter does (the shared behaviour is in test/conformance):
 * a prebuilt guard, the request tag, declaration-time checks, no unhandled rejections.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GuardOptions } from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import express from 'express';
import express4 from 'express4';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createGuard,
  requireAnyScope,
  requireBrand,
  requireScopes,
  TokenGuardConfigError,
  tokenGuard,
} from '../src/index.js';

let idp: IdentityServer;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  idp = await createIdentityServer();
});
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  idp.clearFaults();
});
afterAll(async () => {
  await idp.close();
});

function options(extra: Partial<GuardOptions> = {}): GuardOptions {
  return {
    realm: 'test',
    allowInsecureHttp: true,
    cache: false,
    logger: { warn() {}, error() {} },
    introspection: {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: idp.callerToken },
      http: { timeoutMs: 300 },
    },
    ...extra,
  };
}

async function start(app: (req: never, res: never) => void): Promise<string> {
  const server: Server = createServer(app as Parameters<typeof createServer>[0]);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('@tokenguard/express', () => {
  it('tokenGuard(guard) uses a prebuilt guard and exposes it as .guard', async () => {
    const guard = createGuard(options());
    cleanups.push(() => guard.close());
    const middleware = tokenGuard(guard, { passErrors: false });
    expect(middleware.guard).toBe(guard);
    const app = express();
    app.use(middleware);
    app.get('/', (req, res) => {
      res.json({ sub: req.auth?.claims.sub });
    });
    const url = await start(app);
    const answer = await fetch(url, { headers: bearer(idp.mintToken({ sub: 'pre' })) });
    expect(await answer.json()).toEqual({ sub: 'pre' });
  });

  it('the guard is attached to the request under Symbol.for("tokenguard.guard"), invisible to serialisation', async () => {
    const middleware = tokenGuard(options());
    cleanups.push(() => middleware.guard.close());
    const app = express();
    app.use(middleware);
    app.get('/', (req, res) => {
      const attached = (req as unknown as Record<symbol, unknown>)[Symbol.for('tokenguard.guard')];
      res.json({
        same: attached === middleware.guard,
        inKeys: Object.keys(req).some((key) => key.includes('guard')),
      });
    });
    const url = await start(app);
    const answer = await fetch(url, { headers: bearer(idp.mintToken()) });
    expect(await answer.json()).toEqual({ same: true, inKeys: false });
  });

  it('route helpers validate their requirements where they are declared', () => {
    expect(() => requireScopes('two words')).toThrow(TokenGuardConfigError);
    expect(() => requireAnyScope()).toThrow(TokenGuardConfigError);
    expect(() => requireBrand('')).toThrow(TokenGuardConfigError);
  });

  it('a bad option throws when the middleware is built, not per request', () => {
    expect(() => tokenGuard(options({ token: { maxHeaderBytes: -1 } }))).toThrow(
      TokenGuardConfigError,
    );
  });

  it('Express 4 ignores promises: no refusal ever becomes an unhandled rejection', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    cleanups.push(async () => {
      process.off('unhandledRejection', onRejection);
    });
    for (const passErrors of [false, true]) {
      const middleware = tokenGuard({ ...options(), passErrors });
      cleanups.push(() => middleware.guard.close());
      const app = express4();
      app.use(middleware);
      app.get('/scoped', requireScopes('admin'), (_req, res) => {
        res.end();
      });
      const url = await start(app);
      const get = (headers: Record<string, string> = {}) =>
        fetch(`${url}/scoped`, { headers }).then((answer) => answer.status);
      const statuses = [await get(), await get(bearer('not-issued'))];
      idp.injectFault('introspect', { kind: 'reset' }, 1);
      statuses.push(await get(bearer(idp.mintToken())), await get(bearer(idp.mintToken())));
      // With passErrors, Express 4's default handler renders the error's status.
      expect(statuses).toEqual([401, 401, 503, 403]);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejections).toEqual([]);
  });
});
