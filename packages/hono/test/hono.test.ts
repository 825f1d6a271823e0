/**
 * What only the Hono adapter does (the shared behaviour runs in test/conformance through
 * `@hono/node-server`): the Fetch path, where no Node message exists (`app.request()`, as on
 * Bun, Deno or Workers), form bodies read by the adapter, the context tag.
 */
import type { GuardOptions } from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { Hono } from 'hono';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireScopes, TokenGuardConfigError, tokenGuard } from '../src/index.js';

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

function appWith(extra: Partial<GuardOptions> = {}): Hono {
  const auth = tokenGuard({
    realm: 'test',
    allowInsecureHttp: true,
    cache: false,
    logger: { warn() {}, error() {} },
    introspection: {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: idp.callerToken },
    },
    ...extra,
  });
  cleanups.push(() => auth.close());
  const app = new Hono();
  app.use(auth);
  app.get('/', (c) => c.json({ sub: c.get('auth')?.claims.sub ?? null }));
  app.get('/scoped', requireScopes('admin'), (c) => c.json({}));
  app.post('/form', async (c) =>
    c.json({ sub: c.get('auth')?.claims.sub, body: await c.req.text() }),
  );
  return app;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('@tokenguard/hono on the Fetch path (no Node message)', () => {
  it('a valid token reaches the handler as c.get("auth")', async () => {
    const answer = await appWith().request('/', { headers: bearer(idp.mintToken({ sub: 'f' })) });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ sub: 'f' });
  });

  it('RFC 6750 §2 / RFC 9110 §5.3: two Authorization fields joined by Headers → 400, never introspected', async () => {
    const headers = new Headers();
    headers.append('authorization', 'Basic dXNlcjpwYXNz');
    headers.append('authorization', `Bearer ${idp.mintToken()}`);
    idp.resetCalls();
    const answer = await appWith().request('/', { headers });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('www-authenticate')).toBe(
      'Bearer realm="test", error="invalid_request"',
    );
    expect(idp.calls.introspect).toBe(0);
  });

  it('RFC 6750 §3.1: no token → 401 bare challenge; a route requirement → 403', async () => {
    const app = appWith();
    expect((await app.request('/')).headers.get('www-authenticate')).toBe('Bearer realm="test"');
    const scoped = await app.request('/scoped', { headers: bearer(idp.mintToken()) });
    expect(scoped.status).toBe(403);
  });

  it('RFC 6750 §2.2: with allowBodyToken the form body is read once and still there for the handler', async () => {
    const token = idp.mintToken({ sub: 'form' });
    const answer = await appWith({ allowBodyToken: true }).request('/form', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}&note=hi`,
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ sub: 'form', body: `access_token=${token}&note=hi` });
  });

  it('a bad option throws when the middleware is built, not per request', () => {
    expect(() => tokenGuard({ maxHeaderBytes: -1 } as GuardOptions)).toThrow(TokenGuardConfigError);
  });
});
