/**
 * CORS preflights at the guard, run unchanged against each adapter. No handler behind the
 * guard runs for a request the guard did not authenticate: a preflight (Fetch §3.2.2:
 * `OPTIONS` with `Origin` and `Access-Control-Request-Method`, never credentials) that
 * reaches the guard is answered by it (`204`, no CORS headers of its own); the app's CORS
 * middleware, mounted before the guard, answers the preflights it allows; and every route
 * helper refuses a request without auth, a preflight passed on by `passCorsPreflight: true`
 * included. Every `/any/*` route is method-agnostic, so a handler that ran would answer 200.
 */
import type { GuardOptions, TokenGuardLogger } from '@tokenguard/core';
import type { IdentityServer } from '@tokenguard/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectRefusal } from './expect-answer.js';
import { ADMIN_SCOPE, type AdapterHarness, appPerBlock, CORS_ORIGIN } from './harness.js';
import { type Answer, bearer, send } from './http.js';
import { sharedIdentityServer } from './shared-identity-servers.js';

const BARE = 'Bearer realm="test"';
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

/** A preflight from the origin the app's CORS middleware allows. */
const PREFLIGHT = {
  origin: CORS_ORIGIN,
  'access-control-request-method': 'DELETE',
  'access-control-request-headers': 'authorization',
};
/** A preflight from an origin nobody allows: the CORS middleware leaves it to the guard. */
const FOREIGN_PREFLIGHT = { ...PREFLIGHT, origin: 'https://attacker.example' };

/** Every route helper, each behind a method-agnostic handler. */
const HELPER_ROUTES = [
  '/any/scopes',
  '/any/any-scope',
  '/any/brand',
  '/any/claims',
  '/any/step-up',
  '/any/dpop',
] as const;

function corsHeaders(answer: Answer): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(answer.headers).filter(([name]) => name.startsWith('access-control-')),
  );
}

/** The guard's own answer: 204, empty, no challenge, no CORS header. */
function expectGuardPreflightAnswer(answer: Answer): void {
  expect({
    status: answer.status,
    text: answer.text,
    challenge: answer.headers['www-authenticate'],
    cors: corsHeaders(answer),
  }).toEqual({ status: 204, text: '', challenge: undefined, cors: {} });
}

export function runPreflightConformance(harness: AdapterHarness): void {
  describe(`CORS preflights and route helpers: ${harness.name}`, () => {
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

    const preflight = (url: string, path: string, headers: Record<string, string> = PREFLIGHT) =>
      send(url, path, { method: 'OPTIONS', headers });

    describe('no CORS middleware, default options', () => {
      const app = appPerBlock(harness, () => ({ guardOptions: options() }));

      it('Fetch §3.2.2: a preflight reaching the guard is answered by it (204, no CORS headers) and no handler runs', async () => {
        for (const path of ['/any', ...HELPER_ROUTES, '/protected']) {
          expectGuardPreflightAnswer(await preflight(app().url, path));
        }
      });

      it('a preflight carrying a token is answered by the guard too (handlers never see preflights)', async () => {
        const token = idp.mintToken({ scope: ADMIN_SCOPE });
        expectGuardPreflightAnswer(
          await preflight(app().url, '/any', { ...PREFLIGHT, ...bearer(token) }),
        );
      });

      it('an OPTIONS request that is not a preflight (no Access-Control-Request-Method) needs a token → 401', async () => {
        const answer = await send(app().url, '/any', {
          method: 'OPTIONS',
          headers: { origin: CORS_ORIGIN },
        });
        expectRefusal(answer, 401, BARE, 'missing_token');
      });

      it('a method-agnostic handler still runs for an authenticated OPTIONS request', async () => {
        const token = idp.mintToken({ sub: 'alice' });
        const answer = await send(app().url, '/any', { method: 'OPTIONS', headers: bearer(token) });
        expectOk(answer);
        expect(answer.body.auth.claims.sub).toBe('alice');
      });

      it('RFC 6750 §3.1: on an optional route a route helper refuses a request without a token (401)', async () => {
        expectRefusal(await send(app().url, '/optional/scopes'), 401, BARE, 'missing_token');
      });
    });

    describe('the usual CORS middleware mounted before the guard', () => {
      const app = appPerBlock(harness, () => ({ guardOptions: options(), cors: true }));

      it('Fetch §3.2.2: the CORS middleware answers an allowed preflight; no handler runs', async () => {
        for (const path of ['/any', ...HELPER_ROUTES]) {
          const answer = await preflight(app().url, path);
          expect(answer.status, path).toBe(204);
          expect(answer.headers['access-control-allow-origin'], path).toBe(CORS_ORIGIN);
          expect(answer.text, path).toBe('');
        }
      });

      it('Fetch §3.2.5: the actual request carries the CORS header, with and without a token', async () => {
        const token = idp.mintToken({ scope: ADMIN_SCOPE });
        const ok = await send(app().url, '/any/scopes', {
          method: 'DELETE',
          headers: { origin: CORS_ORIGIN, ...bearer(token) },
        });
        expectOk(ok);
        expect(ok.headers['access-control-allow-origin']).toBe(CORS_ORIGIN);
        const refused = await send(app().url, '/any/scopes', {
          method: 'DELETE',
          headers: { origin: CORS_ORIGIN },
        });
        expectRefusal(refused, 401, BARE, 'missing_token');
        // The browser lets the page read the refusal (and its challenge).
        expect(refused.headers['access-control-allow-origin']).toBe(CORS_ORIGIN);
      });

      it('a preflight the CORS middleware leaves to the guard is answered by the guard; no handler runs', async () => {
        for (const path of ['/any', ...HELPER_ROUTES]) {
          const answer = await preflight(app().url, path, FOREIGN_PREFLIGHT);
          expect(answer.status, path).toBe(204);
          expect(answer.headers['access-control-allow-origin'], path).not.toBe(
            FOREIGN_PREFLIGHT.origin,
          );
          expect(answer.text, path).toBe('');
        }
      });
    });

    describe('`passCorsPreflight: true` (the app answers preflights after the guard)', () => {
      const app = appPerBlock(harness, () => ({
        guardOptions: options({ passCorsPreflight: true }),
      }));

      it('the opted-in preflight reaches the app without a token', async () => {
        const answer = await preflight(app().url, '/protected');
        expect(answer.status).toBe(204);
        expect(answer.headers['www-authenticate']).toBeUndefined();
      });

      it('RFC 6750 §3.1: every route helper refuses the passed-on preflight (401, no handler runs)', async () => {
        for (const path of HELPER_ROUTES) {
          const answer = await preflight(app().url, path);
          expect({ path, status: answer.status, error: answer.body.error }).toEqual({
            path,
            status: 401,
            error: 'missing_token',
          });
          // RFC 9449 §7.1: a route that requires DPoP challenges with DPoP only.
          if (path !== '/any/dpop') expectRefusal(answer, 401, BARE, 'missing_token');
          else expect(answer.headers['www-authenticate']).toMatch(/^DPoP realm="test"/);
        }
      });
    });
  });
}
