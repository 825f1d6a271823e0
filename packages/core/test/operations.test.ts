/**
 * The guard's operations surface, end to end against the local identity server: the
 * `tokenguard:validate` trace, the counters behind metrics()/metricsText(), and health().
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../src/create-guard.js';
import type { TokenGuard } from '../src/guard-types.js';
import type { GuardOptions } from '../src/options/types.js';
import type { ValidationTrace } from '../src/validation-trace.js';

let idp: IdentityServer;
const guards: TokenGuard[] = [];
const quiet = { warn: () => {}, error: () => {} };

beforeAll(async () => {
  idp = await createIdentityServer();
});
afterEach(async () => {
  idp.clearFaults();
  await Promise.all(guards.splice(0).map((g) => g.close()));
});
afterAll(() => idp.close());

function introspectionGuard(extra: Record<string, unknown> = {}): TokenGuard {
  const guard = createGuard({
    allowInsecureHttp: true,
    logger: quiet,
    introspection: {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: idp.callerToken },
      http: { timeoutMs: 500 },
      ...(extra.introspection as object),
    },
    ...(extra.jwt === undefined ? {} : { jwt: extra.jwt }),
  } as GuardOptions);
  guards.push(guard);
  return guard;
}

/** Records every event of the channel; returns the complete traces (as of asyncEnd). */
async function traced(run: () => Promise<void>): Promise<Array<[string, ValidationTrace]>> {
  const events: Array<[string, ValidationTrace]> = [];
  const channel = tracingChannel<unknown, ValidationTrace>('tokenguard:validate');
  const handlers = {
    start: (m: ValidationTrace) => events.push(['start', { ...m }]),
    end: (m: ValidationTrace) => events.push(['end', { ...m }]),
    asyncStart: (m: ValidationTrace) => events.push(['asyncStart', { ...m }]),
    asyncEnd: (m: ValidationTrace) => events.push(['asyncEnd', { ...m }]),
    error: (m: ValidationTrace) => events.push(['error', { ...m }]),
  };
  channel.subscribe(handlers);
  try {
    await run();
  } finally {
    channel.unsubscribe(handlers);
  }
  return events;
}

const settled = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    () => undefined,
  );
const request = (token: string) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
});

describe('tokenguard:validate trace', () => {
  it('a miss calls upstream (tier none), a repeat is a local hit with no upstream call', async () => {
    const guard = introspectionGuard();
    const token = idp.mintToken({ sub: 'trace-user', scope: 'a' });
    const events = await traced(async () => {
      await guard.authenticate(request(token));
      await guard.authenticate(request(token));
    });
    const ends = events.filter(([name]) => name === 'asyncEnd').map(([, m]) => m);
    expect(ends).toHaveLength(2);
    expect(ends[0]).toMatchObject({
      operation: 'authenticate',
      strategy: 'introspection',
      cacheTier: 'none',
      upstreamCalled: true,
      coalesced: false,
      stale: false,
    });
    expect(ends[1]).toMatchObject({ cacheTier: 'local', upstreamCalled: false });
    expect(ends[0]?.tokenHash).toMatch(/^[\w-]{8}$/);
    // Never a token, never a claim value.
    const serialized = JSON.stringify(events);
    expect(serialized).not.toContain(token);
    expect(serialized).not.toContain('trace-user');
  });

  it('a refusal publishes error with status, code and reason; no token → no strategy', async () => {
    const guard = introspectionGuard();
    const inactive = idp.mintToken();
    idp.revoke(inactive);
    const events = await traced(async () => {
      await settled(guard.authenticate(request(inactive)));
      await settled(guard.authenticate({ method: 'GET', url: '/', headers: {} }));
    });
    const errors = events.filter(([name]) => name === 'error').map(([, m]) => m);
    expect(errors[0]).toMatchObject({ status: 401, code: 'invalid_token', upstreamCalled: true });
    // The stable reason code rides along whenever the refusal carries one.
    expect(['undefined', 'string']).toContain(typeof errors[0]?.reason);
    expect(errors[1]).toMatchObject({ status: 401, code: 'missing_token', cacheTier: 'none' });
    expect(errors[1]?.strategy).toBeUndefined();
  });

  it('an outage: error with 503 temporarily_unavailable, upstream called', async () => {
    const guard = introspectionGuard();
    idp.injectFault('introspect', { kind: 'status', status: 502 });
    const events = await traced(() => settled(guard.verify(idp.mintToken())));
    expect(events.find(([name]) => name === 'error')?.[1]).toMatchObject({
      operation: 'verify',
      status: 503,
      code: 'temporarily_unavailable',
      upstreamCalled: true,
    });
  });

  it('concurrent requests for one token: one upstream call, the others coalesced', async () => {
    const guard = introspectionGuard();
    const token = idp.mintToken();
    const events = await traced(async () => {
      await Promise.all([1, 2, 3].map(() => guard.verify(token)));
    });
    const ends = events.filter(([name]) => name === 'asyncEnd').map(([, m]) => m);
    expect(ends.filter((m) => m.upstreamCalled)).toHaveLength(1);
    expect(ends.filter((m) => m.coalesced)).toHaveLength(2);
  });

  it('a JWT validated locally: strategy jwt, no introspection call', async () => {
    const guard = introspectionGuard({
      jwt: { jwksUri: idp.jwksUri, issuer: idp.issuer, audience: 'api' },
    });
    const events = await traced(async () => {
      await guard.verify(await idp.mintJwt());
    });
    expect(events.find(([name]) => name === 'asyncEnd')?.[1]).toMatchObject({
      strategy: 'jwt',
      upstreamCalled: false,
    });
  });
});

describe('metrics() and metricsText()', () => {
  it('counts by strategy, cache tier and reason, and times upstream calls', async () => {
    const guard = introspectionGuard({
      jwt: { jwksUri: idp.jwksUri, issuer: idp.issuer, audience: 'api' },
    });
    const token = idp.mintToken();
    await guard.verify(token);
    await guard.verify(token);
    await guard.verify(await idp.mintJwt());
    await settled(guard.verify(await idp.mintBadJwt('expired')));
    const metrics = guard.metrics();
    expect(metrics.byStrategy).toEqual({ introspection: 2, jwt: 1 });
    expect(metrics.byCacheTier).toEqual({ local: 1, shared: 0, none: 3 });
    expect(Object.values(metrics.reasons).reduce((a, b) => a + b, 0)).toBe(1);
    expect(metrics.upstreamLatency.introspection?.count).toBe(1);
    expect(metrics.upstreamLatency.jwks?.count).toBe(1);

    const text = guard.metricsText({ labels: { guard: 'orders' } });
    expect(text).toContain(
      'tokenguard_validations_total{guard="orders",strategy="introspection"} 2\n',
    );
    expect(text).toContain('tokenguard_validations_by_tier_total{guard="orders",tier="local"} 1\n');
    expect(text).toContain(
      'tokenguard_upstream_duration_seconds_count{guard="orders",purpose="introspection"} 1\n',
    );
    expect(text).toContain('tokenguard_breaker_state{guard="orders",state="closed"} 1\n');
  });
});

describe('health()', () => {
  it('cheap by default: no upstream call; ready while nothing is known broken', async () => {
    const guard = createGuard({
      issuer: idp.issuer,
      allowInsecureHttp: true,
      logger: quiet,
      introspection: { clientAuth: { method: 'bearer', token: idp.callerToken } },
      jwt: { audience: 'api' },
    });
    guards.push(guard);
    idp.resetCalls();
    expect(await guard.health()).toEqual({
      ready: true,
      discovery: 'idle',
      keys: 'idle',
      breaker: 'closed',
      store: 'not-used',
    });
    expect(idp.calls).toMatchObject({ introspect: 0, jwks: 0, oauthMetadata: 0 });

    expect(await guard.health({ probe: true })).toEqual({
      ready: true,
      discovery: 'ok',
      keys: 'ok',
      breaker: 'closed',
      store: 'not-used',
      introspection: 'ok',
    });
    expect(idp.calls).toMatchObject({ introspect: 1, jwks: 1, oauthMetadata: 1 });
  });

  it('during an outage: a probe reports the failures; afterwards it is ready again', async () => {
    const guard = createGuard({
      issuer: idp.issuer,
      allowInsecureHttp: true,
      logger: quiet,
      introspection: {
        clientAuth: { method: 'bearer', token: idp.callerToken },
        http: { timeoutMs: 300 },
      },
      jwt: { audience: 'api' },
    });
    guards.push(guard);
    idp.injectFault('metadata', { kind: 'status', status: 503 });
    idp.injectFault('introspect', { kind: 'reset' });
    const during = await guard.health({ probe: true });
    expect(during).toMatchObject({ ready: false, discovery: 'failed', introspection: 'failed' });
    // Cheap checks remember the failure without calling anyone.
    expect(await guard.health()).toMatchObject({ ready: false, discovery: 'failed' });
    idp.clearFaults();
    // Discovery retries after 2 s; the probe asks again.
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect(await guard.health({ probe: true })).toMatchObject({
      ready: true,
      discovery: 'ok',
      keys: 'ok',
      introspection: 'ok',
    });
  });

  it('an open breaker makes the guard unready for its cooldown, then ready for the probe request', async () => {
    const guard = introspectionGuard({
      introspection: { breakerThreshold: 2, breakerCooldownMs: 200 },
    });
    idp.injectFault('introspect', { kind: 'status', status: 500 });
    await settled(guard.verify(idp.mintToken()));
    await settled(guard.verify(idp.mintToken()));
    expect(await guard.health()).toMatchObject({ ready: false, breaker: 'open' });
    idp.clearFaults();
    await new Promise((resolve) => setTimeout(resolve, 250));
    // The cooldown is over: the next request is the probe, so the guard must take traffic.
    expect(await guard.health()).toMatchObject({ ready: true, breaker: 'half-open' });
    await guard.verify(idp.mintToken());
    expect(await guard.health()).toMatchObject({ ready: true, breaker: 'closed' });
  });

  it('a shared store: reported reachable or not, never making the guard unready', async () => {
    const guard = createGuard({
      allowInsecureHttp: true,
      logger: quiet,
      introspection: {
        endpoint: idp.introspectionEndpoint,
        clientAuth: { method: 'bearer', token: idp.callerToken },
      },
      cache: {
        store: {
          get: () => undefined,
          set: () => {},
          health: ({ probe }) => !probe,
        },
      },
    } as GuardOptions);
    guards.push(guard);
    expect(await guard.health()).toMatchObject({ ready: true, store: 'ok' });
    expect(await guard.health({ probe: true })).toMatchObject({
      ready: true,
      store: 'unreachable',
    });
  });
});
