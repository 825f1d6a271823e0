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
import { type AdapterHarness, type RunningApp, STEP_UP_ACR, STEP_UP_RECENT } from './harness.js';
import { bearer, send } from './http.js';
import { sharedIdentityServer } from './shared-identity-servers.js';

const BARE = 'Bearer realm="test"';
const NEEDS_ACR = `Bearer realm="test", error="insufficient_user_authentication", acr_values="${STEP_UP_ACR.acr.join(' ')}"`;
const NEEDS_RECENT = `Bearer realm="test", error="insufficient_user_authentication", max_age="${STEP_UP_RECENT.maxAgeSec}"`;
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
  });
}
