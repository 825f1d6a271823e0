/**
 * What only the Koa adapter does (the shared behaviour is in test/conformance): a prebuilt
 * guard, the context tag, declaration-time checks, and leaving downstream errors alone.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GuardOptions } from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import Koa from 'koa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createGuard,
  requireAnyScope,
  requireClaims,
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

async function start(app: Koa): Promise<string> {
  const server: Server = createServer(app.callback());
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

describe('@tokenguard/koa', () => {
  it('tokenGuard(guard) uses a prebuilt guard and exposes it as .guard', async () => {
    const guard = createGuard(options());
    cleanups.push(() => guard.close());
    const middleware = tokenGuard(guard);
    expect(middleware.guard).toBe(guard);
    const app = new Koa();
    app.use(middleware);
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.auth?.claims.sub };
    });
    const url = await start(app);
    const answer = await fetch(url, { headers: bearer(idp.mintToken({ sub: 'pre' })) });
    expect(await answer.json()).toEqual({ sub: 'pre' });
  });

  it('the guard is attached to the context under Symbol.for("tokenguard.guard"), invisible to serialisation', async () => {
    const middleware = tokenGuard(options());
    cleanups.push(() => middleware.guard.close());
    const app = new Koa();
    app.use(middleware);
    app.use((ctx) => {
      const attached = (ctx as unknown as Record<symbol, unknown>)[Symbol.for('tokenguard.guard')];
      ctx.body = {
        same: attached === middleware.guard,
        inKeys: Object.keys(ctx).some((key) => key.includes('guard')),
      };
    });
    const url = await start(app);
    const answer = await fetch(url, { headers: bearer(idp.mintToken()) });
    expect(await answer.json()).toEqual({ same: true, inKeys: false });
  });

  it('errors thrown after authentication are not the guard’s: they reach upstream untouched', async () => {
    const middleware = tokenGuard(options());
    cleanups.push(() => middleware.guard.close());
    const seen: unknown[] = [];
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        seen.push(error);
        ctx.status = 599;
      }
    });
    app.use(middleware);
    app.use(requireClaims(() => true));
    app.use(() => {
      throw new RangeError('handler bug');
    });
    const url = await start(app);
    const answer = await fetch(url, { headers: bearer(idp.mintToken()) });
    expect(answer.status).toBe(599);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeInstanceOf(RangeError);
  });

  it('route helpers validate their requirements where they are declared', () => {
    expect(() => requireScopes('two words')).toThrow(TokenGuardConfigError);
    expect(() => requireAnyScope()).toThrow(TokenGuardConfigError);
  });

  it('a bad option throws when the middleware is built, not per request', () => {
    expect(() => tokenGuard(options({ realm: 42 as unknown as string }))).toThrow(
      TokenGuardConfigError,
    );
  });
});
