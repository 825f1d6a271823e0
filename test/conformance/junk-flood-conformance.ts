/**
 * Floods of junk tokens where they meet another feature, run unchanged against each adapter:
 * stale-if-error answers only real upstream faults, never the guard's own concurrency cap
 * full of junk; and junk naming tenants (`resolveIssuer`) cannot cost more outbound fetches
 * than the budget nor push a working tenant's keys out.
 */
import type { GuardOptions, IntrospectionOptions, TokenGuardLogger } from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectOk, expectRefusal, expectUnavailable, sleep } from './expect-answer.js';
import { type AdapterHarness, appPerBlock } from './harness.js';
import { bearer, send } from './http.js';

const INVALID_TOKEN = 'Bearer realm="test", error="invalid_token"';
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

export function runJunkFloodConformance(harness: AdapterHarness): void {
  describe(`junk floods: ${harness.name}`, () => {
    let idp: IdentityServer;

    beforeAll(async () => {
      idp = await createIdentityServer();
    });
    afterAll(async () => {
      await idp.close();
    });
    beforeEach(() => {
      idp.clearFaults();
      idp.resetCalls();
    });

    function options(
      extra: Partial<GuardOptions> = {},
      introspection: Partial<IntrospectionOptions> = {},
    ): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        logger: quietLogger,
        ...extra,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
          http: { timeoutMs: 5000 },
          breakerThreshold: 0,
          ...introspection,
        },
      };
    }

    describe('stale-if-error × the introspection concurrency cap', () => {
      const FRESH_MS = 150;
      const CAP = 2;
      const app = appPerBlock(harness, () => ({
        guardOptions: options(
          { cache: { maxTtlMs: FRESH_MS, staleIfErrorMs: 60_000, inactiveTtlMs: 0 } },
          { maxConcurrent: CAP, queueTimeoutMs: 100 },
        ),
      }));
      const get = (token: string) => send(app().url, '/protected', { headers: bearer(token) });

      it('stale-if-error serves only real upstream faults: a junk flood filling the concurrency cap never brings a revoked token back', async () => {
        const revoked = idp.mintToken({ sub: 'revoked-user' });
        expectOk(await get(revoked));
        idp.revoke(revoked);
        await sleep(FRESH_MS + 100);
        // The identity service is up, only slow: junk holds every slot of the cap.
        idp.injectFault('introspect', { kind: 'delay', ms: 1500 });
        const junk = Array.from({ length: CAP }, (_, i) => get(`junk-${i}-${Date.now()}`));
        try {
          await sleep(100);
          // Local back-pressure: 503, never the revoked token's stale entry.
          expectUnavailable(await get(revoked));
        } finally {
          // The junk holds the cap until answered: let it go before anything else runs.
          for (const refused of await Promise.all(junk)) {
            expectRefusal(refused, 401, INVALID_TOKEN, 'invalid_token');
          }
        }
        expect(app().guard?.metrics().servedStale).toBe(0);
        idp.clearFaults();
        expectRefusal(await get(revoked), 401, INVALID_TOKEN, 'invalid_token');
      });

      it('a real upstream fault (5xx) is still answered from the stale entry', async () => {
        const t = idp.mintToken({ sub: 'alice' });
        expectOk(await get(t));
        await sleep(FRESH_MS + 100);
        idp.injectFault('introspect', { kind: 'status', status: 503 });
        const answer = await get(t);
        expectOk(answer);
        expect(answer.body.auth).toMatchObject({ stale: true, claims: { sub: 'alice' } });
      });
    });

    describe('resolveIssuer × a flood of junk tokens naming tenants', () => {
      const BUDGET = 5;
      const TENANTS = 200;
      const tenant = (name: string) => `${idp.issuer}/tenants/${name}`;
      const resolved: string[] = [];
      const app = appPerBlock(harness, () => ({
        guardOptions: {
          realm: 'test',
          allowInsecureHttp: true,
          logger: quietLogger,
          cache: false,
          maxIssuers: 4,
          maxNewIssuersPerSec: BUDGET,
          resolveIssuer: (iss) => {
            if (!iss.startsWith(tenant(''))) return undefined;
            resolved.push(iss);
            return { issuer: iss, jwt: { jwksUri: idp.jwksUri, audience: 'api' } };
          },
        },
      }));
      const get = (token: string) => send(app().url, '/protected', { headers: bearer(token) });
      /** Signed by nobody: a kid no key set has, so checking it costs the tenant's key-set fetch. */
      const junkJwt = (iss: string) => {
        const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const now = Math.floor(Date.now() / 1000);
        return `${part({ alg: 'RS256', typ: 'at+jwt', kid: 'nobody' })}.${part({ iss, aud: 'api', sub: 'x', exp: now + 600, iat: now })}.${'A'.repeat(342)}`;
      };

      it('resolveIssuer churn: junk naming 200 tenants costs at most the budgeted fetches, and a working tenant keeps its keys (no refetch)', async () => {
        const legit = tenant('legit');
        expectOk(await get(await idp.mintJwt({ iss: legit })));
        idp.resetCalls();
        resolved.length = 0;
        const started = performance.now();
        const answers = await Promise.all(
          Array.from({ length: TENANTS }, (_, i) => get(junkJwt(tenant(`junk-${i}`)))),
        );
        const elapsedSec = (performance.now() - started) / 1000;
        // Within budget: refused as the junk it is; past it: 503 with Retry-After, no fetch.
        for (const answer of answers) {
          if (answer.status === 503) expectUnavailable(answer);
          else expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
        }
        const budget = BUDGET * (1 + Math.ceil(elapsedSec));
        expect(resolved.length).toBeLessThanOrEqual(budget);
        expect(idp.calls.jwks).toBeLessThanOrEqual(2 * resolved.length);
        expect(answers.filter((answer) => answer.status === 503).length).toBeGreaterThanOrEqual(
          TENANTS - budget,
        );
        // The working tenant was never pushed out by the new ones: no refetch of its keys.
        idp.resetCalls();
        const after = await get(await idp.mintJwt({ iss: legit, sub: 'still-here' }));
        expectOk(after);
        expect(after.body.auth.claims.sub).toBe('still-here');
        expect(idp.calls.jwks).toBe(0);
      });
    });
  });
}
