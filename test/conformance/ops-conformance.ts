/**
 * Operations conformance, for every adapter over real HTTP against the local identity
 * server: the `tokenguard:validate` trace seen by a subscriber, the readiness route during
 * and after an outage, the Prometheus route, and the Shared Signals receiver (RFC 8935
 * push) accepting and refusing SETs, its evictions reaching the guard's cache.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import type { GuardHealth, GuardOptions, ValidationTrace } from '@tokenguard/core';
import {
  CAEP_CREDENTIAL_CHANGE,
  CAEP_SESSION_REVOKED,
  createIdentityServer,
  type IdentityServer,
  type SecurityEventOptions,
} from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectRefusal, expectUnavailable, sleep } from './expect-answer.js';
import type { AdapterHarness, RunningApp } from './harness.js';
import { bearer, send } from './http.js';

const AUDIENCE = 'https://api.example/ssf';
const COOLDOWN_MS = 300;
const quiet = { warn: () => {}, error: () => {} };

export function runOpsConformance(harness: AdapterHarness): void {
  describe(`operations conformance: ${harness.name}`, () => {
    let idp: IdentityServer;
    const apps: RunningApp[] = [];

    beforeAll(async () => {
      idp = await createIdentityServer();
    });
    afterEach(async () => {
      idp.clearFaults();
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });
    afterAll(() => idp.close());

    async function start(extra: Partial<GuardOptions> = {}): Promise<RunningApp> {
      const app = await harness.createApp({
        guardOptions: {
          allowInsecureHttp: true,
          logger: quiet,
          introspection: {
            endpoint: idp.introspectionEndpoint,
            clientAuth: { method: 'bearer', token: idp.callerToken },
            http: { timeoutMs: 300 },
            breakerThreshold: 3,
            breakerCooldownMs: COOLDOWN_MS,
          },
          ...extra,
        } as GuardOptions,
        ops: {
          sharedSignals: {
            issuer: idp.issuer,
            jwksUri: idp.jwksUri,
            audience: AUDIENCE,
            allowInsecureHttp: true,
          },
        },
      });
      apps.push(app);
      return app;
    }

    /** The complete trace of every validation `run` causes (as of asyncEnd). */
    async function traces(run: () => Promise<void>): Promise<ValidationTrace[]> {
      const seen: ValidationTrace[] = [];
      const channel = tracingChannel<unknown, ValidationTrace>('tokenguard:validate');
      const ignore = () => {};
      const handlers = {
        start: ignore,
        end: ignore,
        asyncStart: ignore,
        error: ignore,
        asyncEnd: (message: ValidationTrace) => seen.push({ ...message }),
      };
      channel.subscribe(handlers);
      try {
        await run();
      } finally {
        channel.unsubscribe(handlers);
      }
      return seen;
    }

    describe('tokenguard:validate trace, seen by a subscriber', () => {
      it('a miss calls upstream, the repeat is a local hit; never a token or claim value', async () => {
        const app = await start();
        const token = idp.mintToken({ sub: 'ops-trace-user' });
        const seen = await traces(async () => {
          expect((await send(app.url, '/protected', { headers: bearer(token) })).status).toBe(200);
          expect((await send(app.url, '/protected', { headers: bearer(token) })).status).toBe(200);
        });
        expect(seen).toMatchObject([
          {
            operation: 'authenticate',
            strategy: 'introspection',
            cacheTier: 'none',
            upstreamCalled: true,
            coalesced: false,
          },
          { operation: 'authenticate', cacheTier: 'local', upstreamCalled: false },
        ]);
        const serialized = JSON.stringify(seen);
        expect(serialized).not.toContain(token);
        expect(serialized).not.toContain('ops-trace-user');
      });

      it('refusals carry status and code: invalid token 401, no token 401, outage 503', async () => {
        const app = await start();
        const revoked = idp.mintToken();
        idp.revoke(revoked);
        const seen = await traces(async () => {
          await send(app.url, '/protected', { headers: bearer(revoked) });
          await send(app.url, '/protected');
          idp.injectFault('introspect', { kind: 'status', status: 502 }, 1);
          expectUnavailable(
            await send(app.url, '/protected', { headers: bearer(idp.mintToken()) }),
          );
        });
        expect(seen).toMatchObject([
          { status: 401, code: 'invalid_token', upstreamCalled: true },
          { status: 401, code: 'missing_token', cacheTier: 'none', upstreamCalled: false },
          { status: 503, code: 'temporarily_unavailable', upstreamCalled: true },
        ]);
      });
    });

    describe('readiness route (guard.health())', () => {
      const ready = async (app: RunningApp, probe = false) => {
        const answer = await send(app.url, probe ? '/ops/ready?probe=1' : '/ops/ready');
        return { status: answer.status, health: answer.body as GuardHealth };
      };

      it('cheap: answers without calling the identity service', async () => {
        const app = await start();
        idp.resetCalls();
        expect(await ready(app)).toEqual({
          status: 200,
          health: {
            ready: true,
            discovery: 'not-used',
            keys: 'not-used',
            breaker: 'closed',
            store: 'not-used',
          },
        });
        expect(idp.calls.introspect).toBe(0);
        expect(await ready(app, true)).toMatchObject({
          status: 200,
          health: { ready: true, introspection: 'ok' },
        });
        expect(idp.calls.introspect).toBe(1);
      });

      it('during an outage 503 (breaker open, probe failed); after it 200 again', async () => {
        const app = await start();
        idp.injectFault('introspect', { kind: 'status', status: 503 });
        for (let i = 0; i < 3; i++) {
          expectUnavailable(
            await send(app.url, '/protected', { headers: bearer(idp.mintToken()) }),
          );
        }
        expect(await ready(app)).toMatchObject({
          status: 503,
          health: { ready: false, breaker: 'open' },
        });
        expect(await ready(app, true)).toMatchObject({
          status: 503,
          health: { ready: false, introspection: 'failed' },
        });
        idp.clearFaults();
        await sleep(COOLDOWN_MS + 50);
        // Cooldown over: the next request is the breaker's probe, so the guard takes traffic.
        expect(await ready(app)).toMatchObject({
          status: 200,
          health: { ready: true, breaker: 'half-open' },
        });
        const token = idp.mintToken();
        expect((await send(app.url, '/protected', { headers: bearer(token) })).status).toBe(200);
        expect(await ready(app)).toMatchObject({
          status: 200,
          health: { ready: true, breaker: 'closed' },
        });
        expect(await ready(app, true)).toMatchObject({
          status: 200,
          health: { introspection: 'ok' },
        });
      });

      it('a discovery outage: a probe reports it, the cheap check remembers it', async () => {
        // Down from the start (the Fastify plugin tries discovery at startup, and only warns).
        idp.injectFault('metadata', { kind: 'reset' });
        const app = await start({
          issuer: idp.issuer,
          introspection: {
            clientAuth: { method: 'bearer', token: idp.callerToken },
            http: { timeoutMs: 300 },
          },
        });
        expect(await ready(app, true)).toMatchObject({
          status: 503,
          health: { ready: false, discovery: 'failed' },
        });
        expect(await ready(app)).toMatchObject({ status: 503, health: { discovery: 'failed' } });
        idp.clearFaults();
        // Discovery retries 2 s after a failure.
        await sleep(2100);
        expect(await ready(app, true)).toMatchObject({
          status: 200,
          health: { ready: true, discovery: 'ok', introspection: 'ok' },
        });
      });
    });

    it('metrics route: Prometheus text with counters by strategy, tier and code, and upstream latency', async () => {
      const app = await start();
      const token = idp.mintToken();
      await send(app.url, '/protected', { headers: bearer(token) });
      await send(app.url, '/protected', { headers: bearer(token) });
      await send(app.url, '/protected', { headers: bearer('not-a-known-token') });
      const answer = await send(app.url, '/ops/metrics');
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/plain;.*version=0\.0\.4/);
      const text = answer.text;
      expect(text).toContain('tokenguard_validations_total{strategy="introspection"} 2\n');
      expect(text).toContain('tokenguard_validations_by_tier_total{tier="local"} 1\n');
      expect(text).toContain('tokenguard_validations_by_tier_total{tier="none"} 2\n');
      expect(text).toContain('tokenguard_errors_total{code="invalid_token"} 1\n');
      expect(text).toContain(
        'tokenguard_upstream_duration_seconds_count{purpose="introspection"} 2\n',
      );
      expect(text).toContain(
        'tokenguard_upstream_duration_seconds_bucket{purpose="introspection",le="+Inf"} 2\n',
      );
      expect(text).not.toContain(token);
    });

    describe('Shared Signals receiver (RFC 8935 push of RFC 8417 SETs)', () => {
      const event = (over: Partial<SecurityEventOptions> = {}): SecurityEventOptions => ({
        audience: AUDIENCE,
        events: { [CAEP_SESSION_REVOKED]: { event_timestamp: Math.floor(Date.now() / 1000) } },
        subject: { format: 'iss_sub', iss: idp.issuer, sub: 'ssf-user' },
        ...over,
      });

      it('CAEP session-revoked: 202, and the subject’s cached verdicts are gone', async () => {
        const app = await start();
        const token = idp.mintToken({ sub: 'ssf-user' });
        const other = idp.mintToken({ sub: 'someone-else' });
        for (const t of [token, other]) {
          expect((await send(app.url, '/protected', { headers: bearer(t) })).status).toBe(200);
        }
        idp.resetCalls();
        const pushed = await idp.pushSecurityEvent(`${app.url}/ops/ssf`, event());
        expect(pushed).toMatchObject({ status: 202, body: '' });
        // The revocation at the identity service now takes effect at once: no cached copy.
        idp.revoke(token);
        expectRefusal(
          await send(app.url, '/protected', { headers: bearer(token) }),
          401,
          'Bearer realm="api", error="invalid_token"',
          'invalid_token',
        );
        expect(idp.calls.introspect).toBe(1);
        // Another subject's entry stays cached.
        expect((await send(app.url, '/protected', { headers: bearer(other) })).status).toBe(200);
        expect(idp.calls.introspect).toBe(1);
      });

      it('CAEP credential-change with an email subject: 202', async () => {
        const app = await start();
        const pushed = await idp.pushSecurityEvent(`${app.url}/ops/ssf`, {
          audience: AUDIENCE,
          events: {
            [CAEP_CREDENTIAL_CHANGE]: { credential_type: 'password', change_type: 'update' },
          },
          subject: { format: 'email', email: 'ssf-user@example.com' },
        });
        expect(pushed.status).toBe(202);
      });

      const refusals: Array<[string, Partial<SecurityEventOptions>, string]> = [
        ['a SET for another audience', { audience: 'https://other.example' }, 'invalid_audience'],
        [
          'a SET from another issuer',
          { claims: { iss: 'https://other.example' } },
          'invalid_issuer',
        ],
        ['a SET signed with an unknown key', { signWith: 'attacker' }, 'invalid_key'],
        [
          'RFC 8417 §2.3: typ other than secevent+jwt',
          { header: { typ: 'JWT' } },
          'invalid_request',
        ],
      ];
      for (const [name, over, err] of refusals) {
        it(`${name} → 400 ${err}`, async () => {
          const app = await start();
          const pushed = await idp.pushSecurityEvent(`${app.url}/ops/ssf`, event(over));
          expect(pushed.status).toBe(400);
          expect(pushed.headers['content-type']).toMatch(/^application\/json/);
          expect(pushed.body).toEqual({ err, description: expect.any(String) });
        });
      }

      it('RFC 8935 §2.1: another content type → 400 invalid_request', async () => {
        const app = await start();
        const set = await idp.mintSecurityEvent(event());
        const wrongType = await idp.pushSecurityEvent(`${app.url}/ops/ssf`, set, {
          contentType: 'application/jwt',
        });
        expect(wrongType).toMatchObject({ status: 400, body: { err: 'invalid_request' } });
      });

      it('the transmitter’s JWKS down → 503 with Retry-After, so the SET is delivered again', async () => {
        const app = await start();
        idp.injectFault('jwks', { kind: 'status', status: 500 });
        const pushed = await idp.pushSecurityEvent(`${app.url}/ops/ssf`, event());
        expect(pushed.status).toBe(503);
        expect(pushed.headers['retry-after']).toMatch(/^\d+$/);
      });
    });
  });
}
