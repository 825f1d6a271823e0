/**
 * RFC 9470 step-up authentication, run unchanged against each adapter: a route that needs
 * a stronger (`acr`) or more recent (`auth_time`) user authentication refuses a weaker token
 * with 401 `insufficient_user_authentication` and says what would do in the challenge,
 * whether the claims come from an introspection answer or a JWT.
 */
import type { GuardOptions, TokenGuardLogger } from '@tokenguard/core';
import type { IdentityServer, MintJwtClaims } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOk, expectRefusal } from './expect-answer.js';
import {
  type AdapterHarness,
  type RunningApp,
  SCOPES_ALL,
  STEP_UP_ACR,
  STEP_UP_RECENT,
} from './harness.js';
import { bearer, send } from './http.js';
import { sharedIdentityServer } from './shared-identity-servers.js';

const BARE = 'Bearer realm="test"';
const NEEDS_ACR = `Bearer realm="test", error="insufficient_user_authentication", acr_values="${STEP_UP_ACR.acr.join(' ')}"`;
const NEEDS_RECENT = `Bearer realm="test", error="insufficient_user_authentication", max_age="${STEP_UP_RECENT.maxAgeSec}"`;
const NEEDS_SCOPES = `Bearer realm="test", error="insufficient_scope", scope="${SCOPES_ALL.join(' ')}"`;
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

export function runStepUpConformance(harness: AdapterHarness): void {
  describe(`RFC 9470 step-up: ${harness.name}`, () => {
    let idp: IdentityServer;
    beforeAll(async () => {
      idp = await sharedIdentityServer(0);
    });

    const strategies: [string, () => GuardOptions, (claims: MintJwtClaims) => Promise<string>][] = [
      [
        'introspection answers',
        () => ({
          introspection: {
            endpoint: idp.introspectionEndpoint,
            clientAuth: { method: 'bearer', token: idp.callerToken },
          },
        }),
        async (claims) => idp.mintToken(claims),
      ],
      [
        'JWT claims',
        () => ({ jwt: { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: 'api' } }),
        (claims) => idp.mintJwt(claims),
      ],
    ];

    for (const [label, strategy, mint] of strategies) {
      describe(`from ${label}`, () => {
        let app: RunningApp;
        beforeAll(async () => {
          app = await harness.createApp({
            guardOptions: {
              realm: 'test',
              allowInsecureHttp: true,
              cache: false,
              logger: quietLogger,
              ...strategy(),
            },
          });
        });
        afterAll(async () => {
          await app.close();
        });
        const get = async (path: string, claims: MintJwtClaims) =>
          send(app.url, path, { headers: bearer(await mint(claims)) });

        it('RFC 9470 §3: an accepted acr passes', async () => {
          const answer = await get('/step-up/acr', { sub: 'alice', acr: 'urn:example:hwk' });
          expectOk(answer);
          expect(answer.body.auth.claims.acr).toBe('urn:example:hwk');
        });

        it('RFC 9470 §3: another acr → 401 insufficient_user_authentication with acr_values', async () => {
          const answer = await get('/step-up/acr', { acr: 'urn:example:pwd' });
          expectRefusal(answer, 401, NEEDS_ACR, 'insufficient_user_authentication');
        });

        it('RFC 9470 §3: no acr at all → 401 with acr_values', async () => {
          expectRefusal(
            await get('/step-up/acr', {}),
            401,
            NEEDS_ACR,
            'insufficient_user_authentication',
          );
        });

        it('RFC 9470 §3: a recent auth_time passes', async () => {
          expectOk(await get('/step-up/recent', { authenticatedSecAgo: 10 }));
        });

        it('RFC 9470 §3: an auth_time older than max_age → 401 with max_age', async () => {
          const answer = await get('/step-up/recent', { authenticatedSecAgo: 3600 });
          expectRefusal(answer, 401, NEEDS_RECENT, 'insufficient_user_authentication');
        });

        it('RFC 9470 §4: no auth_time cannot show a recent authentication → 401 with max_age', async () => {
          expectRefusal(
            await get('/step-up/recent', { acr: 'urn:example:mfa' }),
            401,
            NEEDS_RECENT,
            'insufficient_user_authentication',
          );
        });

        it('routes without a step-up requirement accept any valid token', async () => {
          expectOk(
            await get('/protected', { acr: 'urn:example:pwd', authenticatedSecAgo: 86_400 }),
          );
        });

        it('no token on a step-up route is the bare challenge (RFC 6750 §3.1)', async () => {
          expectRefusal(await send(app.url, '/step-up/acr'), 401, BARE, 'missing_token');
        });
      });
    }

    // One requirement model: a guard-wide requirement and a route's are checked step by step
    // in one order (sender constraint, step-up, scopes, brand, predicate): every 401 that
    // asks the user to authenticate again comes before any 403.
    describe('one order, guard-wide and per route', () => {
      const introspection = () => ({
        realm: 'test',
        allowInsecureHttp: true,
        cache: false as const,
        logger: quietLogger,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer' as const, token: idp.callerToken },
        },
      });
      const get = (app: RunningApp, path: string, claims: MintJwtClaims) =>
        send(app.url, path, { headers: bearer(idp.mintToken(claims)) });

      describe('guard-wide step-up (`authContext`), route scopes', () => {
        let app: RunningApp;
        beforeAll(async () => {
          app = await harness.createApp({
            guardOptions: { ...introspection(), authContext: STEP_UP_ACR },
          });
        });
        afterAll(async () => {
          await app.close();
        });

        it('RFC 9470: a weak acr without the route’s scopes → 401 step-up first, not 403', async () => {
          expectRefusal(
            await get(app, '/scopes/all', { acr: 'urn:example:pwd' }),
            401,
            NEEDS_ACR,
            'insufficient_user_authentication',
          );
        });

        it('an accepted acr without the route’s scopes → 403 insufficient_scope', async () => {
          expectRefusal(
            await get(app, '/scopes/all', { acr: 'urn:example:mfa' }),
            403,
            NEEDS_SCOPES,
            'insufficient_scope',
          );
        });

        it('an accepted acr with the route’s scopes passes', async () => {
          const scope = SCOPES_ALL.join(' ');
          expectOk(await get(app, '/scopes/all', { acr: 'urn:example:mfa', scope }));
        });

        it('the guard-wide step-up holds on every route', async () => {
          expectRefusal(
            await get(app, '/protected', { acr: 'urn:example:pwd' }),
            401,
            NEEDS_ACR,
            'insufficient_user_authentication',
          );
          expectOk(await get(app, '/protected', { acr: 'urn:example:hwk' }));
        });
      });

      describe('guard-wide scopes, route step-up', () => {
        let app: RunningApp;
        beforeAll(async () => {
          app = await harness.createApp({
            guardOptions: { ...introspection(), scopes: [...SCOPES_ALL] },
          });
        });
        afterAll(async () => {
          await app.close();
        });

        it(`RFC 9470: neither the guard's scopes nor the route's acr → ${
          harness.routeRequirementsAtAuthentication
            ? '401 step-up first'
            : '403: the guard answers before a route helper runs'
        }`, async () => {
          const answer = await get(app, '/step-up/acr', { acr: 'urn:example:pwd' });
          if (harness.routeRequirementsAtAuthentication) {
            expectRefusal(answer, 401, NEEDS_ACR, 'insufficient_user_authentication');
          } else {
            expectRefusal(answer, 403, NEEDS_SCOPES, 'insufficient_scope');
          }
        });

        it('the guard’s scopes and a weak acr → 401 step-up', async () => {
          const scope = SCOPES_ALL.join(' ');
          expectRefusal(
            await get(app, '/step-up/acr', { acr: 'urn:example:pwd', scope }),
            401,
            NEEDS_ACR,
            'insufficient_user_authentication',
          );
        });

        it('an accepted acr without the guard’s scopes → 403 insufficient_scope', async () => {
          expectRefusal(
            await get(app, '/step-up/acr', { acr: 'urn:example:mfa' }),
            403,
            NEEDS_SCOPES,
            'insufficient_scope',
          );
        });

        it('both → 200', async () => {
          const scope = SCOPES_ALL.join(' ');
          expectOk(await get(app, '/step-up/acr', { acr: 'urn:example:mfa', scope }));
        });
      });
    });
  });
}
