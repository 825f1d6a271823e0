/**
 * Token locations beyond the Authorization header, run unchanged against each adapter:
 * a named cookie (safe methods only unless opted in: CSRF), the application's own
 * `getToken(request)`, both under the header's rules (RFC 6750 §2.1 syntax, the length
 * bound, one token per request). CORS preflights: preflight-conformance.ts.
 */
import type { GuardOptions, TokenGuardLogger } from '@tokenguard/core';
import type { IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectRefusal, expectServerError } from './expect-answer.js';
import { type AdapterHarness, type AppSpec, type RunningApp, sha256 } from './harness.js';
import { bearer, send } from './http.js';
import { sharedIdentityServer } from './shared-identity-servers.js';

const BARE = 'Bearer realm="test"';
const INVALID_REQUEST = 'Bearer realm="test", error="invalid_request"';
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

export function runTokenLocationsConformance(harness: AdapterHarness): void {
  describe(`token locations: ${harness.name}`, () => {
    let idp: IdentityServer;
    beforeAll(async () => {
      idp = await sharedIdentityServer(0);
    });

    function options(extra: Partial<GuardOptions> = {}): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        cache: false,
        logger: quietLogger,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
        },
        ...extra,
      };
    }

    function appFor(spec: () => AppSpec): () => RunningApp {
      let app: RunningApp | undefined;
      // biome-ignore lint/suspicious/noDuplicateTestHooks: called once per describe block.
      beforeAll(async () => {
        app = await harness.createApp(spec());
      });
      afterAll(async () => {
        await app?.close();
      });
      return () => {
        if (app === undefined) throw new Error('app not started');
        return app;
      };
    }

    describe('a token in a cookie (`cookie`)', () => {
      const app = appFor(() => ({ guardOptions: options({ token: { cookie: 'at' } }) }));
      const get = (headers: Record<string, string>) => send(app().url, '/protected', { headers });

      it('a valid token in the named cookie passes, among other cookies', async () => {
        const token = idp.mintToken({ sub: 'alice' });
        const answer = await get({ cookie: `theme=dark; at=${token}; lang=en` });
        expectOk(answer);
        expect(answer.body.auth.claims.sub).toBe('alice');
        expect(answer.body.tokenSha256).toBe(sha256(token));
      });

      it('a percent-encoded cookie value (as cookie libraries write it) is decoded', async () => {
        const token = idp.mintToken({ sub: 'alice' });
        expectOk(await get({ cookie: `at=${encodeURIComponent(token)}` }));
      });

      it('RFC 6750 §2: a token in the cookie and in the Authorization header → 400', async () => {
        const token = idp.mintToken();
        expectRefusal(
          await get({ cookie: `at=${token}`, ...bearer(token) }),
          400,
          INVALID_REQUEST,
          'invalid_request',
        );
      });

      it('RFC 6750 §2: two cookies of that name are two tokens → 400', async () => {
        const token = idp.mintToken();
        expectRefusal(
          await get({ cookie: `at=${token}; at=${token}` }),
          400,
          INVALID_REQUEST,
          'invalid_request',
        );
      });

      it('RFC 6750 §2.1: a cookie value that is not a b64token → 400', async () => {
        expectRefusal(
          await get({ cookie: 'at=not{a}token' }),
          400,
          INVALID_REQUEST,
          'invalid_request',
        );
      });

      it('the header length bound applies to the cookie token → 400', async () => {
        expectRefusal(
          await get({ cookie: `at=${'a'.repeat(9000)}` }),
          400,
          INVALID_REQUEST,
          'invalid_request',
        );
      });

      it('an empty cookie (a logged-out browser) or another cookie is no token → 401 bare', async () => {
        expectRefusal(await get({ cookie: 'at=; theme=dark' }), 401, BARE, 'missing_token');
        expectRefusal(await get({ cookie: 'att=abc' }), 401, BARE, 'missing_token');
      });

      it('CSRF: the cookie is not read on an unsafe method (POST) → 401 bare', async () => {
        const token = idp.mintToken();
        const answer = await send(app().url, '/form', {
          method: 'POST',
          headers: { cookie: `at=${token}`, 'content-type': 'application/json' },
          body: '{}',
        });
        expectRefusal(answer, 401, BARE, 'missing_token');
      });

      it('an unsafe method with the header still passes', async () => {
        const answer = await send(app().url, '/form', {
          method: 'POST',
          headers: { ...bearer(idp.mintToken()), 'content-type': 'application/json' },
          body: '{}',
        });
        expectOk(answer);
      });
    });

    describe('`token.cookieOnUnsafeMethods: true` (the application defends against CSRF itself)', () => {
      const app = appFor(() => ({
        guardOptions: options({ token: { cookie: 'at', cookieOnUnsafeMethods: true } }),
      }));

      it('the cookie is read on POST', async () => {
        const answer = await send(app().url, '/form', {
          method: 'POST',
          headers: {
            cookie: `at=${idp.mintToken({ sub: 'bob' })}`,
            'content-type': 'application/json',
          },
          body: '{}',
        });
        expectOk(answer);
        expect(answer.body.auth.claims.sub).toBe('bob');
      });
    });

    describe('`token.getToken(request)`: the application’s own location', () => {
      const app = appFor(() => ({
        guardOptions: options({
          token: {
            getToken: (request) => {
              const value = request.headers['x-api-token'];
              return typeof value === 'string' ? value : undefined;
            },
          },
        }),
      }));
      const get = (headers: Record<string, string>) => send(app().url, '/protected', { headers });

      it('a valid token from getToken passes', async () => {
        const answer = await get({ 'x-api-token': idp.mintToken({ sub: 'carol' }) });
        expectOk(answer);
        expect(answer.body.auth.claims.sub).toBe('carol');
      });

      it('the Authorization header still works beside it', async () => {
        expectOk(await get(bearer(idp.mintToken())));
      });

      it('RFC 6750 §2: a token from getToken and the header → 400', async () => {
        const token = idp.mintToken();
        expectRefusal(
          await get({ 'x-api-token': token, ...bearer(token) }),
          400,
          INVALID_REQUEST,
          'invalid_request',
        );
      });

      it('RFC 6750 §2.1: a malformed or over-long token from getToken → 400', async () => {
        expectRefusal(await get({ 'x-api-token': 'a b' }), 400, INVALID_REQUEST, 'invalid_request');
        expectRefusal(
          await get({ 'x-api-token': 'a'.repeat(9000) }),
          400,
          INVALID_REQUEST,
          'invalid_request',
        );
      });

      it('no token anywhere → 401 bare', async () => {
        expectRefusal(await get({}), 401, BARE, 'missing_token');
      });
    });

    describe('a getToken that throws (a bug in the application)', () => {
      const app = appFor(() => ({
        guardOptions: options({
          token: {
            getToken: () => {
              throw new Error('a bug in getToken');
            },
          },
        }),
      }));

      it('fail closed: 500 server_error, no challenge', async () => {
        expectServerError(await send(app().url, '/protected', { headers: bearer('abc') }));
      });
    });

    it('a bad location option is refused at startup', async () => {
      await expect(
        harness.createApp({ guardOptions: options({ token: { cookie: 'a b' } }) }),
      ).rejects.toMatchObject({
        code: 'invalid_option',
        option: 'token.cookie',
      });
      await expect(
        harness.createApp({ guardOptions: options({ token: { cookieOnUnsafeMethods: true } }) }),
      ).rejects.toMatchObject({ code: 'invalid_option', option: 'token.cookieOnUnsafeMethods' });
    });
  });
}
