/**
 * What only the Hono adapter does (the shared behaviour runs in test/conformance through
 * `@hono/node-server`): the Fetch path, where no Node message exists (`app.request()`, as on
 * Bun, Deno or Workers), form bodies read by the adapter, the context tag, DPoP `htu` from the
 * runtime's URL, and no client certificate without a socket.
 */
import type { GuardOptions } from '@tokenguard/core';
import {
  certificateBinding,
  createDpopKey,
  createDpopProof,
  createIdentityServer,
  createTestCertificate,
  dpopBinding,
  type IdentityServer,
} from '@tokenguard/testing';
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

  it('RFC 6750 §2.2: with token.body the form body is read once and still there for the handler', async () => {
    const token = idp.mintToken({ sub: 'form' });
    const answer = await appWith({ token: { body: true } }).request('/form', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${token}&note=hi`,
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ sub: 'form', body: `access_token=${token}&note=hi` });
  });

  it('a bad option throws when the middleware is built, not per request', () => {
    expect(() => tokenGuard({ token: { maxHeaderBytes: -1 } } as GuardOptions)).toThrow(
      TokenGuardConfigError,
    );
  });
});

describe('@tokenguard/hono sender-constrained tokens on the Fetch path', () => {
  const ALGS = 'algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"';

  it("RFC 9449 §4.3 (9): htu is checked against the runtime's URL (scheme and authority)", async () => {
    const key = await createDpopKey();
    const app = appWith({ dpop: 'allowed' });
    const token = idp.mintToken({ sub: 'dpop', ...dpopBinding(key) });
    const url = 'https://api.example/';
    const ok = await app.request(url, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await createDpopProof(key, { method: 'GET', url, accessToken: token }),
      },
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ sub: 'dpop' });

    // The same proof shape for plain http: not the URI this request was served at.
    const wrong = await app.request(url, {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await createDpopProof(key, {
          method: 'GET',
          url: 'http://api.example/',
          accessToken: token,
        }),
      },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe(
      `Bearer realm="test", DPoP realm="test", error="invalid_dpop_proof", ${ALGS}`,
    );
  });

  it('RFC 8705 §3: no socket, no client certificate: a certificate-bound token is refused', async () => {
    const client = createTestCertificate('client');
    const app = appWith({ mtls: { certificateFrom: 'socket' } });
    const token = idp.mintToken({ ...certificateBinding(client) });
    const answer = await app.request('https://api.example/', { headers: bearer(token) });
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe(
      'Bearer realm="test", error="invalid_token"',
    );
  });
});
