/**
 * Cache conformance, run for every adapter: the namespace keeps services apart, cached claims cannot be changed by a handler, junk tokens cannot
 * evict valid entries, a failing shared store is only a miss, and
 * stale-if-error (`cache.staleIfErrorMs`) rides out an identity-service outage within its
 * window and never beyond it. Each case names the defect it reproduces.
 */
import type {
  CacheStore,
  GuardOptions,
  IntrospectionOptions,
  TokenGuardLogger,
} from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// The in-memory store is internal: a test stand-in for a shared store, taken from the source.
import { createMemoryStore } from '../../packages/core/src/cache/create-memory-store.js';
import {
  expectOk,
  expectRefusal,
  expectServerError,
  expectUnavailable,
  sleep,
} from './expect-answer.js';
import type { AdapterHarness, AppSpec, RunningApp } from './harness.js';
import { bearer, send } from './http.js';

const INVALID_TOKEN = 'Bearer realm="test", error="invalid_token"';
const insufficientScope = (scopes: readonly string[]) =>
  `Bearer realm="test", error="insufficient_scope", scope="${scopes.join(' ')}"`;
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };
const SHARED_ISSUER = 'https://issuer.test';

export function runCacheConformance(harness: AdapterHarness): void {
  describe(`cache conformance: ${harness.name}`, () => {
    let idp: IdentityServer;
    let otherKeys: IdentityServer;

    beforeAll(async () => {
      [idp, otherKeys] = await Promise.all([
        createIdentityServer({
          issuer: SHARED_ISSUER,
          clients: [
            { clientId: 'nosy-service', clientSecret: 'nosy-secret', canIntrospect: false },
          ],
        }),
        createIdentityServer({ issuer: SHARED_ISSUER }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([idp.close(), otherKeys.close()]);
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
          // No case here needs a timeout; a loaded CI machine must not turn into 503s.
          http: { timeoutMs: 3000 },
          breakerThreshold: 0,
          ...introspection,
        },
      };
    }

    /** Apps started before a describe block's cases and closed after them. */
    function appsFor<T extends (() => AppSpec)[]>(
      ...specs: T
    ): { [K in keyof T]: () => RunningApp } {
      const apps: (RunningApp | undefined)[] = [];
      // biome-ignore lint/suspicious/noDuplicateTestHooks: one pair per describe block.
      beforeAll(async () => {
        for (const [i, spec] of specs.entries()) apps[i] = await harness.createApp(spec());
        await Promise.all(apps.map((app) => app?.guard?.ready()));
      });
      // biome-ignore lint/suspicious/noDuplicateTestHooks: as above.
      afterAll(async () => {
        await Promise.all(apps.map((app) => app?.close()));
      });
      return specs.map((_, i) => () => {
        const app = apps[i];
        if (app === undefined) throw new Error('app not started');
        return app;
      }) as { [K in keyof T]: () => RunningApp };
    }

    const get = (app: RunningApp, token: string, path = '/protected') =>
      send(app.url, path, { headers: bearer(token) });

    describe('the namespace includes who is asking (RFC 7662 §4)', () => {
      const store = createMemoryStore();
      const [allowed, refused] = appsFor(
        () => ({ guardOptions: options({ cache: { store } }) }),
        () => ({
          guardOptions: options(
            { cache: { store } },
            {
              clientAuth: {
                method: 'client_secret_basic',
                clientId: 'nosy-service',
                clientSecret: 'nosy-secret',
              },
            },
          ),
        }),
      );

      it('repro: service B used to accept the entry service A wrote; now B asks for itself', async () => {
        const t = idp.mintToken();
        expectOk(await get(allowed(), t));
        // The identity service refuses B as a caller: B must see that, not A's verdict.
        expectServerError(await get(refused(), t));
        expect(idp.calls.introspect).toBe(2);
      });
    });

    describe('jwt.jwksUri is part of the namespace (a URL once serialised as {})', () => {
      const store = createMemoryStore();
      const jwtOptions = (jwksUri: string): GuardOptions => ({
        realm: 'test',
        allowInsecureHttp: true,
        logger: quietLogger,
        cache: { store },
        jwt: { issuer: SHARED_ISSUER, audience: 'api', jwksUri },
      });
      const [trustsIdp, trustsOther] = appsFor(
        () => ({ guardOptions: jwtOptions(idp.jwksUri) }),
        () => ({ guardOptions: jwtOptions(otherKeys.jwksUri) }),
      );

      it('repro: a token signed by B’s key, cached by B, is refused by A (different key set)', async () => {
        const t = await otherKeys.mintJwt({ sub: 'mallory' });
        expectOk(await get(trustsOther(), t));
        expectRefusal(await get(trustsIdp(), t), 401, INVALID_TOKEN, 'invalid_token');
      });
    });

    describe('cached claims cannot be changed by a handler', () => {
      const [app] = appsFor(() => ({ guardOptions: options({ cache: {} }) }));

      it('repro: Object.assign(req.auth.claims, { scope: … }) used to grant later requests that scope', async () => {
        const t = idp.mintToken({ scope: 'orders:read' });
        expectOk(await get(app(), t));
        const auth = await app().guard?.verify(t);
        expect(() =>
          Object.assign(auth?.claims ?? {}, { scope: 'orders:read orders:write' }),
        ).toThrow(TypeError);
        const answer = await get(app(), t, '/scopes/all');
        expectRefusal(
          answer,
          403,
          insufficientScope(['orders:read', 'orders:write']),
          'insufficient_scope',
        );
        expect(idp.calls.introspect).toBe(1);
      });
    });

    describe('junk tokens cannot evict valid entries (negative results have their own LRU)', () => {
      const [app] = appsFor(() => ({ guardOptions: options({ cache: { maxEntries: 20 } }) }));

      it('repro: 200 garbage tokens used to push 20 returning users out (20 extra upstream calls)', async () => {
        const users = Array.from({ length: 20 }, (_, i) => idp.mintToken({ sub: `user-${i}` }));
        for (const t of users) expectOk(await get(app(), t));
        for (let i = 0; i < 200; i++) {
          expect((await get(app(), `junk-${i}-${Date.now()}`)).status).toBe(401);
        }
        idp.resetCalls();
        for (const t of users) expectOk(await get(app(), t));
        expect(idp.calls.introspect).toBe(0);
      });
    });

    describe('a failing shared store is a miss, never an error answer', () => {
      const lines: string[] = [];
      const logger: TokenGuardLogger = {
        warn: (m) => lines.push(m),
        error: (m) => lines.push(m),
      };
      const rejecting: CacheStore = {
        get: () => Promise.reject(new Error('ECONNREFUSED')),
        set: () => Promise.reject(new Error('ECONNREFUSED')),
      };
      const hanging: CacheStore = {
        get: () => new Promise(() => {}),
        set: () => new Promise(() => {}),
      };
      const [failing, slow] = appsFor(
        () => ({ guardOptions: options({ logger, cache: { store: rejecting } }) }),
        () => ({ guardOptions: options({ cache: { store: hanging, storeTimeoutMs: 50 } }) }),
      );

      it('repro: a rejecting get/set used to answer 500 and lose the verdict; now 200, cached, logged once', async () => {
        const t = idp.mintToken();
        for (let i = 0; i < 3; i++) expectOk(await get(failing(), t));
        expectRefusal(await get(failing(), 'never-issued'), 401, INVALID_TOKEN, 'invalid_token');
        // The failed `set` kept the verdict in the local tier: one upstream call for `t`.
        expect(idp.calls.introspect).toBe(2);
        expect(failing().guard?.metrics().storeErrors).toBeGreaterThanOrEqual(3);
        expect(lines.filter((l) => l.includes('shared cache store failed'))).toHaveLength(1);
      });

      it('repro: a hanging get had no deadline; now storeTimeoutMs turns it into a miss', async () => {
        const t = idp.mintToken();
        const answer = await get(slow(), t);
        expectOk(answer);
        expect(slow().guard?.metrics().storeTimeouts).toBeGreaterThanOrEqual(1);
      });
    });

    describe('stale-if-error (cache.staleIfErrorMs)', () => {
      const FRESH_MS = 150;
      const WINDOW_MS = 1500;
      const store = createMemoryStore();
      const cache = { maxTtlMs: FRESH_MS, staleIfErrorMs: WINDOW_MS, inactiveTtlMs: 0 };
      const [app, short, sharedA, sharedB] = appsFor(
        () => ({ guardOptions: options({ cache }) }),
        () => ({ guardOptions: options({ cache: { ...cache, staleIfErrorMs: 300 } }) }),
        () => ({ guardOptions: options({ cache: { ...cache, store } }) }),
        () => ({ guardOptions: options({ cache: { ...cache, store } }) }),
      );
      const down = () => idp.injectFault('introspect', { kind: 'status', status: 503 });

      it('within the window an outage is answered from the out-of-date entry, with auth.stale', async () => {
        const t = idp.mintToken({ sub: 'alice' });
        const fresh = await get(app(), t);
        expectOk(fresh);
        expect(fresh.body.auth.stale).toBeUndefined();
        await sleep(FRESH_MS + 100);
        down();
        const answer = await get(app(), t);
        expectOk(answer);
        expect(answer.body.auth).toMatchObject({ stale: true, claims: { sub: 'alice' } });
        expect(app().guard?.metrics().servedStale).toBeGreaterThanOrEqual(1);
      });

      it('after the window the outage is answered 503', async () => {
        const t = idp.mintToken();
        expectOk(await get(short(), t));
        await sleep(FRESH_MS + 300 + 200);
        down();
        expectUnavailable(await get(short(), t));
      });

      it('never past the token’s exp', async () => {
        const exp = Math.ceil((Date.now() + 1000) / 1000);
        const t = idp.mintToken({ exp });
        expectOk(await get(app(), t));
        await sleep(exp * 1000 - Date.now() + 150);
        down();
        expectUnavailable(await get(app(), t));
      });

      it('never after evict', async () => {
        const t = idp.mintToken();
        expectOk(await get(app(), t));
        await app().guard?.evict(t);
        down();
        expectUnavailable(await get(app(), t));
      });

      it('never after evictSubject', async () => {
        const t = idp.mintToken({ sub: 'logged-out-user' });
        expectOk(await get(app(), t));
        await app().guard?.evictSubject('logged-out-user');
        down();
        expectUnavailable(await get(app(), t));
      });

      it('never for a token seen inactive since', async () => {
        const t = idp.mintToken();
        expectOk(await get(app(), t));
        idp.revoke(t);
        await sleep(FRESH_MS + 100);
        expectRefusal(await get(app(), t), 401, INVALID_TOKEN, 'invalid_token');
        down();
        expectUnavailable(await get(app(), t));
      });

      it('a stale entry in the shared tier serves another instance', async () => {
        const t = idp.mintToken();
        expectOk(await get(sharedA(), t));
        await sleep(FRESH_MS + 100);
        down();
        const answer = await get(sharedB(), t);
        expectOk(answer);
        expect(answer.body.auth.stale).toBe(true);
        expect(idp.calls.introspect).toBe(2);
      });
    });
  });
}
