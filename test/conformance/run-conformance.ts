/**
 * The one conformance suite: every rule of the README that a request can observe, run
 * unchanged against each adapter (see harness.ts) and the real loopback identity server.
 * Status and headers are asserted exactly. Adding a case adds it for every framework.
 */
import type { GuardOptions, IntrospectionOptions, TokenGuardLogger } from '@tokenguard/core';
import { createIdentityServer, type Fault, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  expectOk,
  expectRefusal,
  expectServerError,
  expectUnavailable,
  sleep,
} from './expect-answer.js';
import {
  type AdapterHarness,
  type AppSpec,
  appPerBlock,
  PASS_ERRORS_STATUS,
  SCOPES_ALL,
  SCOPES_ANY,
  sha256,
} from './harness.js';
import { bearer, send } from './http.js';

const TIMEOUT_MS = 300;
/** "Within timeout + slack": generous enough for a loaded CI machine, far below a hang. */
const SLACK_MS = 1000;

const BARE = 'Bearer realm="test"';
const INVALID_REQUEST = 'Bearer realm="test", error="invalid_request"';
const INVALID_TOKEN = 'Bearer realm="test", error="invalid_token"';
const INVALID_BRAND = 'Bearer realm="test", error="invalid_brand"';
const ACCESS_DENIED = 'Bearer realm="test", error="access_denied"';
const insufficientScope = (scopes: readonly string[]) =>
  `Bearer realm="test", error="insufficient_scope", scope="${scopes.join(' ')}"`;

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };

/** Upstream details go to the guard's logger; keep test output quiet. */
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

export function runConformance(harness: AdapterHarness): void {
  describe(`conformance: ${harness.name}`, () => {
    let idp: IdentityServer;

    beforeAll(async () => {
      idp = await createIdentityServer({
        clients: [{ clientId: 'nosy-service', clientSecret: 'nosy-secret', canIntrospect: false }],
      });
    });
    afterAll(async () => {
      await idp.close();
    });
    beforeEach(() => {
      idp.clearFaults();
      idp.resetCalls();
    });

    /** Guard options for the local identity server; `cache: false` unless a case needs it. */
    function options(
      extra: Partial<GuardOptions> = {},
      introspection: Partial<IntrospectionOptions> = {},
    ): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        cache: false,
        logger: quietLogger,
        ...extra,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
          http: { timeoutMs: TIMEOUT_MS },
          // Every fault must really reach the upstream, not an open breaker.
          breakerThreshold: 0,
          ...introspection,
        },
      };
    }

    const appFor = (spec: () => AppSpec) => appPerBlock(harness, spec);

    const token = (claims: Parameters<IdentityServer['mintToken']>[0] = {}) =>
      idp.mintToken(claims);

    describe('RFC 6750 §2.1: the Authorization header', () => {
      const app = appFor(() => ({ guardOptions: options() }));
      const get = (path: string, headers: Record<string, string> | string[] = {}) =>
        send(app().url, path, { headers });

      it('a valid token passes; the handler sees the claims in the contract shape, scopes and strategy', async () => {
        const t = token({
          sub: 'alice',
          client_id: 'web-app',
          scope: 'orders:read orders:write',
          brand: 'acme',
          extra: { department: 'sales' },
        });
        const answer = await get('/protected', bearer(t));
        expectOk(answer);
        expect(answer.body.auth).toEqual({
          claims: expect.objectContaining({
            active: true,
            sub: 'alice',
            client_id: 'web-app',
            scope: 'orders:read orders:write',
            brand: 'acme',
            token_type: 'Bearer',
            exp: expect.any(Number),
            department: 'sales',
          }),
          scopes: ['orders:read', 'orders:write'],
          strategy: 'introspection',
        });
      });

      it('auth.token is the presented token, but not enumerable: JSON.stringify(auth) never shows it', async () => {
        const t = token();
        const answer = await get('/protected', bearer(t));
        expectOk(answer);
        expect(answer.body.tokenSha256).toBe(sha256(t));
        expect(answer.body.tokenEnumerable).toBe(false);
        expect(answer.body.serializedHasToken).toBe(false);
        expect(answer.text).not.toContain(t);
      });

      it('RFC 6750 §3.1: no token → 401 with a bare challenge (no error attribute)', async () => {
        const answer = await get('/protected');
        expectRefusal(answer, 401, BARE, 'missing_token');
        expect(idp.calls.introspect).toBe(0);
      });

      it('RFC 9110 §11.1: the auth scheme is case-insensitive', async () => {
        const t = token();
        for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
          expectOk(await get('/protected', { authorization: `${scheme} ${t}` }));
        }
      });

      it('RFC 6750 §2.1: another auth scheme carries no bearer token → 401 bare challenge', async () => {
        const answer = await get('/protected', { authorization: 'Basic dXNlcjpwYXNz' });
        expectRefusal(answer, 401, BARE, 'missing_token');
      });

      it('RFC 6750 §2.1: "Bearer" without a credential → 400 invalid_request', async () => {
        for (const authorization of ['Bearer', 'Bearer ']) {
          const answer = await get('/protected', { authorization });
          expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
        }
      });

      it('RFC 6750 §2.1: exactly one credential after the scheme → several are 400', async () => {
        const t = token();
        const answer = await get('/protected', { authorization: `Bearer ${t} ${t}` });
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
        expect(idp.calls.introspect).toBe(0);
      });

      it('RFC 6750 §2.1: a credential outside the b64token syntax → 400 invalid_request', async () => {
        for (const credential of ['abc$def', 'a=b', '"quoted"', 'a,b', '=abc', 'tok;en']) {
          const answer = await get('/protected', { authorization: `Bearer ${credential}` });
          expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
        }
        expect(idp.calls.introspect).toBe(0);
      });

      it('RFC 6750 §2.1: b64token allows - . _ ~ + / and trailing = (then judged upstream)', async () => {
        const answer = await get('/protected', { authorization: 'Bearer a-b.c_d~e+f/g==' });
        expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
        expect(idp.calls.introspect).toBe(1);
      });

      it('RFC 6750 §2: two Authorization headers → 400 invalid_request', async () => {
        const t = token();
        const answer = await get('/protected', [
          'Authorization',
          `Bearer ${t}`,
          'Authorization',
          `Bearer ${t}`,
        ]);
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
        expect(idp.calls.introspect).toBe(0);
      });

      it('an Authorization header over 8 KiB → 400 invalid_request, and the app keeps serving', async () => {
        const answer = await get('/protected', { authorization: `Bearer ${'a'.repeat(9000)}` });
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
        expect(idp.calls.introspect).toBe(0);
        expectOk(await get('/protected', bearer(token())));
      });

      it('RFC 6750 §2.3: a query token is not accepted by default (→ 401, never introspected)', async () => {
        const answer = await get(`/protected?access_token=${token()}`);
        expectRefusal(answer, 401, BARE, 'missing_token');
        expect(idp.calls.introspect).toBe(0);
      });

      it('RFC 6750 §2.2: a form-body token is not accepted by default (→ 401, never introspected)', async () => {
        const answer = await send(app().url, '/form', {
          method: 'POST',
          headers: FORM,
          body: new URLSearchParams({ access_token: token() }).toString(),
        });
        expectRefusal(answer, 401, BARE, 'missing_token');
        expect(idp.calls.introspect).toBe(0);
      });
    });

    describe('RFC 6750 §2.2/§2.3: opt-in token locations (token.query, token.body)', () => {
      const app = appFor(() => ({
        guardOptions: options({ token: { query: true, body: true } }),
      }));
      const post = (headers: Record<string, string>, body: string, path = '/form') =>
        send(app().url, path, { method: 'POST', headers, body });
      const formBody = (t: string) => new URLSearchParams({ access_token: t }).toString();

      it('RFC 6750 §2.3: token.query accepts ?access_token=', async () => {
        const t = token({ sub: 'query-user' });
        const answer = await send(app().url, `/protected?access_token=${t}`);
        expectOk(answer);
        expect(answer.body.auth.claims.sub).toBe('query-user');
      });

      it('RFC 6750 §2.2: token.body accepts a form-encoded access_token', async () => {
        const t = token({ sub: 'form-user' });
        const answer = await post(FORM, formBody(t));
        expectOk(answer);
        expect(answer.body.auth.claims.sub).toBe('form-user');
        expect(answer.body.tokenSha256).toBe(sha256(t));
      });

      it('RFC 6750 §2.2: a body token needs the form content type (a JSON body is ignored)', async () => {
        const answer = await post(JSON_TYPE, JSON.stringify({ access_token: token() }));
        expectRefusal(answer, 401, BARE, 'missing_token');
        expect(idp.calls.introspect).toBe(0);
      });

      it('RFC 6750 §2: a token in the header and the query → 400 invalid_request', async () => {
        const t = token();
        const answer = await send(app().url, `/protected?access_token=${t}`, {
          headers: bearer(t),
        });
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
      });

      it('RFC 6750 §2: a token in the header and the body → 400 invalid_request', async () => {
        const t = token();
        const answer = await post({ ...FORM, ...bearer(t) }, formBody(t));
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
      });

      it('RFC 6750 §2: a token in the query and the body → 400 invalid_request', async () => {
        const t = token();
        const answer = await post(FORM, formBody(t), `/form?access_token=${t}`);
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
      });

      it('RFC 6750 §2: access_token twice in the query → 400 invalid_request', async () => {
        const t = token();
        const answer = await send(app().url, `/protected?access_token=${t}&access_token=${t}`);
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
      });

      it('RFC 6750 §2.1: a query token outside the b64token syntax → 400 invalid_request', async () => {
        const answer = await send(app().url, '/protected?access_token=a%20b');
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
      });
    });

    describe('RFC 7662 §2.2: token validity (cache off)', () => {
      const app = appFor(() => ({ guardOptions: options() }));
      const get = (t: string) => send(app().url, '/protected', { headers: bearer(t) });

      it('an unknown token → 401 invalid_token', async () => {
        expectRefusal(await get('unknown-token-0001'), 401, INVALID_TOKEN, 'invalid_token');
      });

      it('an expired token → 401 invalid_token', async () => {
        const answer = await get(token({ expiresInSec: -60 }));
        expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
      });

      it('a token not yet valid (nbf) → 401 invalid_token', async () => {
        const answer = await get(token({ nbf: Math.floor(Date.now() / 1000) + 600 }));
        expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
      });

      it('a revoked token → 401 invalid_token', async () => {
        const t = token();
        expectOk(await get(t));
        idp.revoke(t);
        expectRefusal(await get(t), 401, INVALID_TOKEN, 'invalid_token');
      });

      it('RFC 7662 §4: exp is re-checked: "active" with an exp long past → 401 invalid_token', async () => {
        idp.injectFault('introspect', { kind: 'expired-active' }, 1);
        expectRefusal(await get(token()), 401, INVALID_TOKEN, 'invalid_token');
      });
    });

    describe('RFC 6750 §3.1: scopes per route (insufficient_scope)', () => {
      const app = appFor(() => ({ guardOptions: options() }));
      const get = (path: string, scope?: string) =>
        send(app().url, path, { headers: bearer(token(scope === undefined ? {} : { scope })) });

      it('requireScopes: a token with all of the scopes passes', async () => {
        expectOk(await get('/scopes/all', 'profile orders:write orders:read'));
      });

      it('requireScopes: one scope missing → 403 insufficient_scope naming the scopes', async () => {
        const answer = await get('/scopes/all', 'orders:read');
        expectRefusal(answer, 403, insufficientScope(SCOPES_ALL), 'insufficient_scope');
      });

      it('requireScopes: a token without a scope claim → 403 insufficient_scope', async () => {
        const answer = await get('/scopes/all');
        expectRefusal(answer, 403, insufficientScope(SCOPES_ALL), 'insufficient_scope');
      });

      it('requireAnyScope: one of the scopes is enough', async () => {
        expectOk(await get('/scopes/any', 'admin'));
        expectOk(await get('/scopes/any', 'orders:read'));
      });

      it('requireAnyScope: none of the scopes → 403 insufficient_scope naming the choices', async () => {
        const answer = await get('/scopes/any', 'orders:write profile');
        expectRefusal(answer, 403, insufficientScope(SCOPES_ANY), 'insufficient_scope');
      });

      it('RFC 6749 §3.3: scopes compare exactly (no prefix or case folding)', async () => {
        const answer = await get('/scopes/any', 'Admin orders:reader orders');
        expectRefusal(answer, 403, insufficientScope(SCOPES_ANY), 'insufficient_scope');
      });

      it('a route requirement applies to its route only', async () => {
        expectOk(await get('/protected', 'profile'));
      });
    });

    describe('guard-wide requirements (scopes and brand on every route)', () => {
      const app = appFor(() => ({
        guardOptions: options({ scopes: ['api'], brand: ['acme', 'globex'] }),
      }));
      const get = (claims: Parameters<IdentityServer['mintToken']>[0]) =>
        send(app().url, '/protected', { headers: bearer(token(claims)) });

      it('a token meeting the guard-wide requirements passes', async () => {
        expectOk(await get({ scope: 'api', brand: 'globex' }));
      });

      it('a guard-wide scope missing → 403 insufficient_scope', async () => {
        const answer = await get({ scope: 'other', brand: 'acme' });
        expectRefusal(answer, 403, insufficientScope(['api']), 'insufficient_scope');
      });

      it('a guard-wide brand not accepted → 403 invalid_brand', async () => {
        const answer = await get({ scope: 'api', brand: 'initech' });
        expectRefusal(answer, 403, INVALID_BRAND, 'invalid_brand');
      });
    });

    describe('brand: always the token’s own claim (403 invalid_brand, never 401)', () => {
      const app = appFor(() => ({ guardOptions: options() }));
      const get = (path: string, brand: string | undefined, headers: Record<string, string> = {}) =>
        send(app().url, path, {
          headers: { ...bearer(token(brand === undefined ? {} : { brand })), ...headers },
        });

      it('static brand: the token’s brand matches → 200', async () => {
        expectOk(await get('/brand/static', 'acme'));
      });

      it('static brand: another brand → 403 invalid_brand', async () => {
        expectRefusal(await get('/brand/static', 'globex'), 403, INVALID_BRAND, 'invalid_brand');
      });

      it('static brand: a token without a brand claim → 403 invalid_brand', async () => {
        expectRefusal(await get('/brand/static', undefined), 403, INVALID_BRAND, 'invalid_brand');
      });

      it('brand list: any listed brand passes, another is 403 invalid_brand', async () => {
        expectOk(await get('/brand/list', 'acme'));
        expectOk(await get('/brand/list', 'globex'));
        expectRefusal(await get('/brand/list', 'initech'), 403, INVALID_BRAND, 'invalid_brand');
      });

      it('brand comparison is exact (no case folding)', async () => {
        expectRefusal(await get('/brand/static', 'ACME'), 403, INVALID_BRAND, 'invalid_brand');
      });

      it('per-request brand from the path: the token must carry that brand', async () => {
        expectOk(await get('/brand/by-path/acme', 'acme'));
        expectOk(await get('/brand/by-path/globex', 'globex'));
        const answer = await get('/brand/by-path/globex', 'acme');
        expectRefusal(answer, 403, INVALID_BRAND, 'invalid_brand');
      });

      it('per-request brand from the Host header: the token must carry that brand', async () => {
        expectOk(await get('/brand/by-host', 'acme', { host: 'acme.brands.test' }));
        const answer = await get('/brand/by-host', 'acme', { host: 'globex.brands.test' });
        expectRefusal(answer, 403, INVALID_BRAND, 'invalid_brand');
      });

      it('per-request brand that cannot be determined accepts no token (fail closed)', async () => {
        const answer = await get('/brand/by-host', 'acme', { host: 'unknown.example' });
        expectRefusal(answer, 403, INVALID_BRAND, 'invalid_brand');
      });

      it('spoofing: X-Brand, Brand headers and ?brand= never change the outcome', async () => {
        const spoof = { 'x-brand': 'acme', brand: 'acme', 'x-forwarded-host': 'acme.brands.test' };
        const refused = await get('/brand/static?brand=acme', 'globex', spoof);
        expectRefusal(refused, 403, INVALID_BRAND, 'invalid_brand');
        const hosted = await get('/brand/by-host?brand=acme', 'globex', {
          ...spoof,
          host: 'globex.brands.test',
        });
        expectOk(hosted);
        expect(hosted.body.auth.claims.brand).toBe('globex');
      });

      it('spoofing: a token without a brand cannot borrow one from the request', async () => {
        const answer = await get('/brand/by-path/acme?brand=acme', undefined, {
          'x-brand': 'acme',
          host: 'acme.brands.test',
        });
        expectRefusal(answer, 403, INVALID_BRAND, 'invalid_brand');
      });
    });

    describe('custom claims predicate (requireClaims)', () => {
      const app = appFor(() => ({ guardOptions: options() }));
      const get = (path: string, sub: string) =>
        send(app().url, path, { headers: bearer(token({ sub })) });

      it('the predicate accepts → 200', async () => {
        expectOk(await get('/claims', 'alice'));
      });

      it('the predicate refuses → 403 access_denied', async () => {
        expectRefusal(await get('/claims', 'mallory'), 403, ACCESS_DENIED, 'access_denied');
      });

      it('a predicate that throws fails closed → 500 server_error', async () => {
        expectServerError(await get('/claims/throws', 'alice'));
      });
    });

    describe('optional authentication', () => {
      const app = appFor(() => ({ guardOptions: options({ optional: true }) }));

      it('no token passes, with no auth attached', async () => {
        const answer = await send(app().url, '/protected');
        expectOk(answer);
        expect(answer.body.auth).toBeNull();
        expect(idp.calls.introspect).toBe(0);
      });

      it('a valid token is still validated and attached', async () => {
        const answer = await send(app().url, '/protected', {
          headers: bearer(token({ sub: 'opt' })),
        });
        expectOk(answer);
        expect(answer.body.auth.claims.sub).toBe('opt');
      });

      it('a bad token still fails → 401 invalid_token', async () => {
        const answer = await send(app().url, '/protected', { headers: bearer('not-a-real-token') });
        expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
      });

      it('a malformed header still fails → 400 invalid_request', async () => {
        const answer = await send(app().url, '/protected', {
          headers: { authorization: 'Bearer a b' },
        });
        expectRefusal(answer, 400, INVALID_REQUEST, 'invalid_request');
      });

      it('a route requirement without a token → 401 bare challenge', async () => {
        const answer = await send(app().url, '/scopes/all');
        expectRefusal(answer, 401, BARE, 'missing_token');
      });
    });

    describe('upstream faults → 503 within timeout + slack, never 200, never cached', () => {
      const app = appFor(() => ({ guardOptions: options() }));
      const faults: Array<[string, Fault]> = [
        ['hang', { kind: 'hang' }],
        ['drip (slow body)', { kind: 'drip', intervalMs: 20 }],
        ['connection reset', { kind: 'reset' }],
        ['500', { kind: 'status', status: 500 }],
        ['502', { kind: 'status', status: 502 }],
        ['503', { kind: 'status', status: 503 }],
        ['an HTML page', { kind: 'html' }],
        ['a body that is not JSON', { kind: 'non-json' }],
        ['JSON of the wrong types', { kind: 'wrong-types' }],
        ['an oversized body', { kind: 'oversized', bytes: 200_000 }],
        ['a redirect (never followed)', { kind: 'redirect', location: '/v1/oauth/introspect' }],
      ];

      for (const [label, fault] of faults) {
        it(`upstream ${label} → 503 temporarily_unavailable with Retry-After`, async () => {
          idp.injectFault('introspect', fault, 1);
          const answer = await send(app().url, '/protected', { headers: bearer(token()) });
          expectUnavailable(answer);
          expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
        });
      }

      it('the upstream unreachable (connection refused) → 503', async () => {
        const down = await harness.createApp({
          guardOptions: options({}, { endpoint: 'http://127.0.0.1:1/v1/oauth/introspect' }),
        });
        try {
          const answer = await send(down.url, '/protected', { headers: bearer(token()) });
          expectUnavailable(answer);
          expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
        } finally {
          await down.close();
        }
      });
    });

    describe('our own credentials refused upstream → 500 server_error, details only in logs', () => {
      const wrongToken = appFor(() => ({
        guardOptions: options({}, { clientAuth: { method: 'bearer', token: 'not-our-token' } }),
      }));
      const notAllowed = appFor(() => ({
        guardOptions: options(
          {},
          {
            clientAuth: {
              method: 'client_secret_basic',
              clientId: 'nosy-service',
              clientSecret: 'nosy-secret',
            },
          },
        ),
      }));
      const good = appFor(() => ({ guardOptions: options() }));

      it('upstream 401 (wrong caller token) → 500 server_error', async () => {
        const answer = await send(wrongToken().url, '/protected', { headers: bearer(token()) });
        expectServerError(answer);
        expect(idp.calls.introspect).toBe(1);
      });

      it('upstream 403 (caller not allowed to introspect) → 500 server_error', async () => {
        const answer = await send(notAllowed().url, '/protected', { headers: bearer(token()) });
        expectServerError(answer);
      });

      it('upstream 400 (our request refused) → 500 server_error', async () => {
        idp.injectFault('introspect', { kind: 'status', status: 400 }, 1);
        expectServerError(await send(good().url, '/protected', { headers: bearer(token()) }));
      });
    });

    describe('cache (hits, exp-bounded expiry, negative TTL, faults never cached)', () => {
      const INACTIVE_TTL_MS = 500;
      const app = appFor(() => ({
        guardOptions: options({ cache: { inactiveTtlMs: INACTIVE_TTL_MS } }),
      }));
      const get = (t: string) => send(app().url, '/protected', { headers: bearer(t) });

      it('a valid token is introspected once, then served from the cache', async () => {
        const t = token();
        for (let i = 0; i < 3; i++) expectOk(await get(t));
        expect(idp.calls.introspect).toBe(1);
      });

      it('a cached entry never outlives the token’s exp', async () => {
        // exp is in whole seconds: 1.2 to 2.2 s from now keeps the wait short but leaves
        // the two cached requests ample time on a loaded machine.
        const exp = Math.ceil((Date.now() + 1200) / 1000);
        const t = token({ exp });
        expectOk(await get(t));
        expectOk(await get(t));
        expect(idp.calls.introspect).toBe(1);
        await sleep(exp * 1000 - Date.now() + 150);
        expectRefusal(await get(t), 401, INVALID_TOKEN, 'invalid_token');
        expect(idp.calls.introspect).toBe(2);
      });

      it('an inactive result is cached for inactiveTtlMs, then asked again', async () => {
        const t = 'never-issued-token-42';
        expectRefusal(await get(t), 401, INVALID_TOKEN, 'invalid_token');
        expectRefusal(await get(t), 401, INVALID_TOKEN, 'invalid_token');
        expect(idp.calls.introspect).toBe(1);
        await sleep(INACTIVE_TTL_MS + 150);
        expectRefusal(await get(t), 401, INVALID_TOKEN, 'invalid_token');
        expect(idp.calls.introspect).toBe(2);
      });

      it('an upstream fault is never cached: the next request asks again and passes', async () => {
        const t = token();
        idp.injectFault('introspect', { kind: 'status', status: 500 }, 1);
        expectUnavailable(await get(t));
        expectOk(await get(t));
        expect(idp.calls.introspect).toBe(2);
      });

      it('a timeout is never cached either', async () => {
        const t = token();
        idp.injectFault('introspect', { kind: 'hang' }, 1);
        expectUnavailable(await get(t));
        expectOk(await get(t));
        expect(idp.calls.introspect).toBe(2);
      });
    });

    describe('single-flight', () => {
      // The default upstream deadline, not the suite's 300 ms: the identity server answers
      // from this process's event loop, which is also parsing the 200 requests; on a loaded
      // machine that took over 300 ms, the shared call timed out (503 for its waiters, as it
      // must: outages are not kept) and the next arrival rightly made a second call.
      const app = appFor(() => ({
        guardOptions: options({ cache: {} }, { http: { timeoutMs: 5000 } }),
      }));

      it('200 concurrent requests with one uncached token make exactly 1 upstream call', async () => {
        const t = token();
        // The app lives for the block: count this attempt's calls only (a retried case).
        const before = app().guard?.metrics().upstreamCalls ?? 0;
        idp.injectFault('introspect', { kind: 'delay', ms: 50 }, 1);
        const answers = await Promise.all(
          Array.from({ length: 200 }, () => send(app().url, '/protected', { headers: bearer(t) })),
        );
        expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 200 }, () => 200));
        expect(idp.calls.introspect).toBe(1);
        expect((app().guard?.metrics().upstreamCalls ?? 0) - before).toBe(1);
      });
    });

    describe('passErrors: refusals go to the framework’s error handling', () => {
      const app = appFor(() => ({
        guardOptions: options(),
        adapterOptions: { passErrors: true },
      }));
      const framework = (status: number, code: string) => ({
        handledBy: 'framework',
        isTokenGuardError: true,
        status,
        code,
      });

      it('no token: the framework handler sees a TokenGuardError with status 401', async () => {
        const answer = await send(app().url, '/protected');
        expect(answer.status).toBe(PASS_ERRORS_STATUS);
        expect(answer.body).toEqual(framework(401, 'missing_token'));
      });

      it('a route requirement: the framework handler sees 403 insufficient_scope', async () => {
        const answer = await send(app().url, '/scopes/all', {
          headers: bearer(token({ scope: 'orders:read' })),
        });
        expect(answer.status).toBe(PASS_ERRORS_STATUS);
        expect(answer.body).toEqual(framework(403, 'insufficient_scope'));
      });

      it('an upstream fault: the framework handler sees 503', async () => {
        idp.injectFault('introspect', { kind: 'status', status: 502 }, 1);
        const answer = await send(app().url, '/protected', { headers: bearer(token()) });
        expect(answer.status).toBe(PASS_ERRORS_STATUS);
        expect(answer.body).toEqual(framework(503, 'temporarily_unavailable'));
      });

      it('a valid token still reaches the handler', async () => {
        expectOk(await send(app().url, '/protected', { headers: bearer(token()) }));
      });
    });

    describe('misconfiguration fails at startup or closed, never open', () => {
      const unguarded = appFor(() => ({ guardOptions: options(), withoutGuard: true }));

      it('a route requirement on a request the guard never saw → 500 server_error', async () => {
        const answer = await send(unguarded().url, '/scopes/any', {
          headers: bearer(token({ scope: 'admin' })),
        });
        expectServerError(answer);
      });

      it('a bad option is refused when the app is built, naming the option', async () => {
        await expect(
          harness.createApp({ guardOptions: options({}, { http: { timeoutMs: -1 } }) }),
        ).rejects.toMatchObject({
          name: 'TokenGuardConfigError',
          option: 'introspection.http.timeoutMs',
        });
      });

      it('an unknown option is refused when the app is built', async () => {
        const guardOptions = { ...options(), realmm: 'typo' } as GuardOptions;
        await expect(harness.createApp({ guardOptions })).rejects.toMatchObject({
          name: 'TokenGuardConfigError',
        });
      });

      it('a bad adapter option is refused when the app is built', async () => {
        const adapterOptions = { passErrors: 'yes' } as unknown as { passErrors: boolean };
        await expect(
          harness.createApp({ guardOptions: options(), adapterOptions }),
        ).rejects.toMatchObject({ name: 'TokenGuardConfigError', option: 'passErrors' });
      });
    });
  });
}
