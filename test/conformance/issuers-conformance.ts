/**
 * Several issuers in one guard, run unchanged against each adapter with two (and a third,
 * untrusted) real identity servers on loopback: a JWT goes to the issuer its `iss` names, only
 * among the configured ones (an unknown `iss` is a 401 that fetches nothing); an opaque token
 * goes to the issuer the application selects from the request, or is tried in order; each
 * issuer has its own cache namespace, counters and circuit breaker; the auth context names
 * the issuer that validated the token.
 */
import type { GuardOptions, IssuerOptions, TokenGuardLogger } from '@tokenguard/core';
import type { IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectOk, expectRefusal, expectUnavailable } from './expect-answer.js';
import type { AdapterHarness, AppSpec, RunningApp } from './harness.js';
import { bearer, send } from './http.js';
import { sharedIdentityServer } from './shared-identity-servers.js';

const INVALID_TOKEN = 'Bearer realm="test", error="invalid_token"';
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

export function runIssuersConformance(harness: AdapterHarness): void {
  describe(`several issuers: ${harness.name}`, () => {
    let a: IdentityServer;
    let b: IdentityServer;
    /** Trusted by nobody: its tokens are well signed, by keys no guard may fetch. */
    let stranger: IdentityServer;

    beforeAll(async () => {
      [a, b, stranger] = await Promise.all([
        sharedIdentityServer(0),
        sharedIdentityServer(1),
        sharedIdentityServer(2),
      ]);
    });
    beforeEach(() => {
      for (const idp of [a, b, stranger]) {
        idp.clearFaults();
        idp.resetCalls();
      }
    });

    const base = (extra: Partial<GuardOptions>): GuardOptions => ({
      realm: 'test',
      allowInsecureHttp: true,
      cache: false,
      logger: quietLogger,
      ...extra,
    });
    const byJwt = (idp: IdentityServer, discovered = false): IssuerOptions => ({
      issuer: idp.issuer,
      jwt: discovered ? { audience: 'api' } : { jwksUri: idp.jwksUri, audience: 'api' },
    });
    const byIntrospection = (idp: IdentityServer): IssuerOptions => ({
      issuer: idp.issuer,
      introspection: {
        endpoint: idp.introspectionEndpoint,
        clientAuth: { method: 'bearer', token: idp.callerToken },
        breakerThreshold: 1,
        breakerCooldownMs: 60_000,
      },
    });
    const strangerUntouched = () =>
      expect(stranger.calls).toMatchObject({
        jwks: 0,
        oauthMetadata: 0,
        openidMetadata: 0,
        introspect: 0,
      });

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

    describe('JWTs from two configured issuers (`issuers: [...]`)', () => {
      // B's key set comes from its discovery document.
      const app = appFor(() => ({ guardOptions: base({ issuers: [byJwt(a), byJwt(b, true)] }) }));
      const get = (token: string) => send(app().url, '/protected', { headers: bearer(token) });

      it('each issuer’s JWT passes; the auth context names the issuer', async () => {
        const fromA = await get(await a.mintJwt({ sub: 'alice' }));
        expectOk(fromA);
        expect(fromA.body.auth.issuer).toBe(a.issuer);
        const fromB = await get(await b.mintJwt({ sub: 'bob' }));
        expectOk(fromB);
        expect(fromB.body.auth.issuer).toBe(b.issuer);
        expect(fromB.body.auth.claims.sub).toBe('bob');
      });

      it('RFC 8725 §3.8: an iss nobody configured → 401, and nothing is fetched from it', async () => {
        expectRefusal(await get(await stranger.mintJwt()), 401, INVALID_TOKEN, 'invalid_token');
        strangerUntouched();
      });

      it('iss picks the key set: a token signed by A claiming B’s iss → 401', async () => {
        const forged = await a.mintJwt({ iss: b.issuer });
        expectRefusal(await get(forged), 401, INVALID_TOKEN, 'invalid_token');
      });

      it('a JWT without iss → 401', async () => {
        const token = await a.mintJwt({ iss: undefined as unknown as string, extra: { iss: 7 } });
        expectRefusal(await get(token), 401, INVALID_TOKEN, 'invalid_token');
      });

      it('counters per issuer', async () => {
        await get(await a.mintJwt());
        const issuers = app().guard?.metrics().issuers ?? {};
        expect(Object.keys(issuers).sort()).toEqual([a.issuer, b.issuer].sort());
        expect(issuers[a.issuer]?.jwksFetches).toBeGreaterThanOrEqual(1);
      });
    });

    describe('one issuer’s key-set outage', () => {
      const app = appFor(() => ({ guardOptions: base({ issuers: [byJwt(a), byJwt(b)] }) }));
      const get = (token: string) => send(app().url, '/protected', { headers: bearer(token) });

      it('is that issuer’s 503 only: the other issuer’s tokens still pass', async () => {
        b.injectFault('jwks', { kind: 'status', status: 500 });
        expectUnavailable(await get(await b.mintJwt()));
        expectOk(await get(await a.mintJwt()));
      });
    });

    describe('opaque tokens: selected from the request, or tried in order', () => {
      const app = appFor(() => ({
        guardOptions: base({
          issuers: [byIntrospection(a), byIntrospection(b)],
          selectIssuer: (request) => {
            const tenant = request.headers['x-tenant'];
            return tenant === 'a' ? a.issuer : tenant === 'b' ? b.issuer : undefined;
          },
        }),
      }));
      const get = (token: string, tenant?: string) =>
        send(app().url, '/protected', {
          headers: { ...bearer(token), ...(tenant ? { 'x-tenant': tenant } : {}) },
        });

      it('selectIssuer picks the issuer: only that one is asked', async () => {
        const answer = await get(a.mintToken({ sub: 'alice' }), 'a');
        expectOk(answer);
        expect(answer.body.auth.issuer).toBe(a.issuer);
        expect([a.calls.introspect, b.calls.introspect]).toEqual([1, 0]);
      });

      it('a token sent to the wrong selected issuer → 401', async () => {
        expectRefusal(await get(a.mintToken(), 'b'), 401, INVALID_TOKEN, 'invalid_token');
        expect(a.calls.introspect).toBe(0);
      });

      it('no selection: the configured issuers are tried in order until one knows the token', async () => {
        const answer = await get(b.mintToken({ sub: 'bob' }));
        expectOk(answer);
        expect(answer.body.auth.issuer).toBe(b.issuer);
        expect([a.calls.introspect, b.calls.introspect]).toEqual([1, 1]);
      });

      it('a token no issuer knows → 401 after asking each once', async () => {
        expectRefusal(await get('unknown-opaque-token'), 401, INVALID_TOKEN, 'invalid_token');
        expect([a.calls.introspect, b.calls.introspect]).toEqual([1, 1]);
      });

      it('one issuer’s breaker opens alone: its tokens 503, the other issuer’s still pass', async () => {
        b.injectFault('introspect', { kind: 'status', status: 502 });
        expectUnavailable(await get(b.mintToken(), 'b'));
        expectUnavailable(await get(b.mintToken(), 'b'));
        expect(b.calls.introspect).toBe(1);
        const issuers = app().guard?.metrics().issuers ?? {};
        expect(issuers[b.issuer]?.breakerState).toBe('open');
        expect(issuers[a.issuer]?.breakerState).toBe('closed');
        expectOk(await get(a.mintToken(), 'a'));
      });
    });

    describe('readiness of several issuers', () => {
      const app = appFor(() => ({
        guardOptions: base({ issuers: [byJwt(a), byJwt(b)] }),
        ops: {},
      }));

      it('guard.health({ summary: true }) is for public readiness routes: ready and the worst state of each check, no issuer URLs', async () => {
        const full = await send(app().url, '/ops/ready');
        expect(full.status).toBe(200);
        expect(Object.keys(full.body.issuers).sort()).toEqual([a.issuer, b.issuer].sort());
        const summary = await send(app().url, '/ops/ready?summary=1');
        expect(summary.status).toBe(200);
        expect(summary.body).toEqual({
          ready: true,
          discovery: full.body.discovery,
          keys: full.body.keys,
          breaker: full.body.breaker,
          store: full.body.store,
        });
        for (const idp of [a, b]) expect(summary.text).not.toContain(new URL(idp.issuer).host);
      });
    });

    describe('`resolveIssuer(iss, request)` for large tenant counts', () => {
      const asked: string[] = [];
      const app = appFor(() => ({
        guardOptions: base({
          issuers: [byJwt(a)],
          maxIssuers: 1,
          resolveIssuer: async (iss) => {
            asked.push(iss);
            return iss === b.issuer ? byJwt(b) : undefined;
          },
        }),
      }));
      const get = (token: string) => send(app().url, '/protected', { headers: bearer(token) });
      beforeEach(() => {
        asked.length = 0;
      });

      it('a resolved issuer’s JWT passes; the answer is cached (asked once)', async () => {
        const first = await get(await b.mintJwt({ sub: 'bob' }));
        expectOk(first);
        expect(first.body.auth.issuer).toBe(b.issuer);
        expectOk(await get(await b.mintJwt()));
        expect(asked).toEqual([b.issuer]);
      });

      it('configured issuers are not resolved', async () => {
        expectOk(await get(await a.mintJwt()));
        expect(asked).toEqual([]);
      });

      it('an issuer the resolver refuses → 401, remembered, and never fetched from', async () => {
        expectRefusal(await get(await stranger.mintJwt()), 401, INVALID_TOKEN, 'invalid_token');
        expectRefusal(await get(await stranger.mintJwt()), 401, INVALID_TOKEN, 'invalid_token');
        expect(asked).toEqual([stranger.issuer]);
        strangerUntouched();
      });

      it('maxIssuers bounds the resolved issuers held', async () => {
        expectOk(await get(await b.mintJwt()));
        const held = Object.keys(app().guard?.metrics().issuers ?? {});
        expect(held.length).toBeLessThanOrEqual(2);
      });
    });

    it('bad many-issuer options are refused at startup, naming the entry', async () => {
      await expect(
        harness.createApp({
          guardOptions: base({ issuers: [byJwt(a), { issuer: b.issuer, jwt: {} }] }),
        }),
      ).rejects.toMatchObject({ code: 'invalid_option', option: 'issuers[1].jwt.audience' });
      // The guard's `jwt` is every entry's default; its `issuer` names one issuer.
      await expect(
        harness.createApp({ guardOptions: base({ issuers: [byJwt(a)], issuer: a.issuer }) }),
      ).rejects.toMatchObject({ code: 'invalid_option', option: 'issuer' });
    });
  });
}
