/**
 * `http.fetch`: every outbound call of the guard goes through the caller's WHATWG fetch (the
 * transport runtimes without undici's pool use by default), with the guard's own deadline
 * signal and `redirect: 'manual'`; a fetch beside an undici-only setting is refused up front.
 */
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../src/create-guard.js';
import { TokenGuardConfigError } from '../src/errors.js';

let idp: IdentityServer;
beforeAll(async () => {
  idp = await createIdentityServer();
});
afterAll(async () => {
  await idp.close();
});

const bearer = (token: string) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
});

describe('http.fetch', () => {
  it('carries discovery and introspection, each with an abort signal and no redirect following', async () => {
    const seen: { url: string; redirect?: string; signal: boolean }[] = [];
    const fetchSpy: typeof fetch = (input, init) => {
      seen.push({
        url: String(input),
        redirect: init?.redirect,
        signal: init?.signal instanceof AbortSignal,
      });
      return fetch(input, init);
    };
    const guard = createGuard({
      allowInsecureHttp: true,
      issuer: idp.issuer,
      introspection: { clientAuth: { method: 'bearer', token: idp.callerToken } },
      http: { fetch: fetchSpy },
    });
    try {
      const auth = await guard.authenticate(bearer(idp.mintToken({ sub: 'via-fetch' })));
      expect(auth?.claims.sub).toBe('via-fetch');
      expect(seen.map((call) => new URL(call.url).pathname)).toEqual([
        '/.well-known/oauth-authorization-server',
        '/v1/oauth/introspect',
      ]);
      expect(seen.every((call) => call.redirect === 'manual' && call.signal)).toBe(true);
    } finally {
      await guard.close();
    }
  });

  it('after close(), a call through the fetch transport is an outage (503), never a verdict', async () => {
    const guard = createGuard({
      allowInsecureHttp: true,
      introspection: {
        endpoint: idp.introspectionEndpoint,
        clientAuth: { method: 'bearer', token: idp.callerToken },
      },
      http: { fetch },
    });
    await guard.close();
    const error = await guard.authenticate(bearer(idp.mintToken())).catch((e: unknown) => e);
    expect(guard.errorResponse(error).status).toBe(503);
  });

  it.each([
    ['http.fetch', { http: { fetch: 'not a function' } }],
    ['http.pool', { http: { fetch, pool: 3 } }],
    ['http.dispatcher', { http: { fetch, dispatcher: {} } }],
    ['http.connections', { http: { fetch, connections: 4 } }],
  ])('a bad or conflicting setting is a config error naming %s', (option, extra) => {
    const build = () =>
      createGuard({
        allowInsecureHttp: true,
        ...(extra as object),
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
          ...(extra as { introspection?: object }).introspection,
        },
      });
    expect(build).toThrow(TokenGuardConfigError);
    expect(() => build()).toThrow(expect.objectContaining({ option }));
  });
});
