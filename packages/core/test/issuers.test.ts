import { tracingChannel } from 'node:diagnostics_channel';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGuard } from '../src/create-guard.js';
import { TokenGuardConfigError } from '../src/errors.js';
import type { TokenGuard } from '../src/guard-types.js';
import type { GuardOptions, IssuerOptions } from '../src/options/types.js';

let a: IdentityServer;
let b: IdentityServer;
const guards: TokenGuard[] = [];

beforeAll(async () => {
  [a, b] = await Promise.all([createIdentityServer(), createIdentityServer()]);
});
afterEach(async () => {
  await Promise.all(guards.splice(0).map((guard) => guard.close()));
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
});

const quiet = { warn() {}, error() {} };
const entry = (idp: IdentityServer): IssuerOptions => ({
  issuer: idp.issuer,
  jwt: { jwksUri: idp.jwksUri, audience: 'api' },
});
function guardWith(options: Partial<GuardOptions>): TokenGuard {
  const guard = createGuard({ allowInsecureHttp: true, logger: quiet, cache: false, ...options });
  guards.push(guard);
  return guard;
}
const optionOf = (options: Partial<GuardOptions>) => {
  try {
    guardWith(options);
  } catch (error) {
    return error instanceof TokenGuardConfigError ? error.option : 'other';
  }
  return 'none';
};
const codeOf = async (promise: Promise<unknown>) =>
  promise.then(
    () => 'none',
    (error: { code?: string }) => error.code,
  );

describe('several issuers: options', () => {
  it.each<[string, () => Partial<GuardOptions>, string]>([
    ['an empty list without a resolver', () => ({ issuers: [] }), 'issuers'],
    ['a listed issuer twice', () => ({ issuers: [entry(a), entry(a)] }), 'issuers[1].issuer'],
    [
      'top-level issuer beside issuers',
      () => ({ issuers: [entry(a)], issuer: a.issuer }),
      'issuer',
    ],
    [
      'jwt.issuer in an entry',
      () => ({
        issuers: [{ issuer: a.issuer, jwt: { audience: 'api', issuer: a.issuer } as never }],
      }),
      'issuers[0].jwt.issuer',
    ],
    [
      'an entry without a strategy',
      () => ({ issuers: [{ issuer: a.issuer }] }),
      'issuers[0].introspection',
    ],
    [
      'a plain-http issuer',
      () => ({ allowInsecureHttp: false, issuers: [entry(a)] }),
      'issuers[0].issuer',
    ],
    [
      'selectIssuer without issuers',
      () => ({
        jwt: { issuer: a.issuer, jwksUri: a.jwksUri, audience: 'api' },
        selectIssuer: () => undefined,
      }),
      'selectIssuer',
    ],
    [
      'the guard jwt.issuer beside issuers',
      () => ({ issuers: [entry(a)], jwt: { issuer: a.issuer, audience: 'api' } }),
      'jwt.issuer',
    ],
    [
      'the guard introspection.endpoint beside issuers (one endpoint would answer for every tenant)',
      () => ({
        issuers: [{ issuer: a.issuer }, { issuer: b.issuer }],
        introspection: { endpoint: a.introspectionEndpoint },
      }),
      'introspection.endpoint',
    ],
    [
      'a bad guard jwt.audience (inherited): the guard path',
      () => ({
        issuers: [{ issuer: a.issuer }, { issuer: b.issuer }],
        jwt: { audience: 7 as never },
      }),
      'jwt.audience',
    ],
    [
      'a bad entry jwt.audience over a good guard one: the entry path',
      () => ({
        jwt: { audience: 'api' },
        issuers: [{ issuer: a.issuer }, { issuer: b.issuer, jwt: { audience: 7 as never } }],
      }),
      'issuers[1].jwt.audience',
    ],
    [
      'a bad guard introspection.clientAuth (inherited): the guard path',
      () => ({
        introspection: { clientAuth: { method: 'nope' } as never },
        issuers: [{ issuer: a.issuer, introspection: { endpoint: a.introspectionEndpoint } }],
      }),
      'introspection.clientAuth.method',
    ],
    [
      'a guard strategy that is no strategy',
      () => ({ strategy: 'jwk' as never, resolveIssuer: () => undefined }),
      'strategy',
    ],
    ['resolveIssuer not a function', () => ({ resolveIssuer: 'nope' as never }), 'resolveIssuer'],
    ['maxIssuers 0', () => ({ issuers: [entry(a)], maxIssuers: 0 }), 'maxIssuers'],
  ])('%s is refused naming %s', (_label, options, option) => {
    expect(optionOf(options())).toBe(option);
  });
});

describe('several issuers: entries inherit the guard strategy, jwt and introspection', () => {
  const statusOf = (guard: TokenGuard, token: string) =>
    guard.verify(token).then(
      (auth) => auth.issuer,
      (error: unknown) => guard.errorResponse(error).status,
    );

  it('the top-level issuer still names one issuer and is refused beside issuers', () => {
    expect(() =>
      guardWith({ issuer: a.issuer, jwt: { audience: 'api' }, issuers: [entry(a)] }),
    ).toThrow(
      /`issuer` names a single issuer: with `issuers` \/ `resolveIssuer` each entry names its own/,
    );
  });

  it('two issuers sharing the guard jwt.audience accept their tokens and refuse another audience', async () => {
    // Keys by discovery: the entries name nothing but their issuer.
    const guard = guardWith({
      jwt: { audience: 'orders' },
      issuers: [{ issuer: a.issuer }, { issuer: b.issuer }],
    });
    for (const idp of [a, b]) {
      expect(await statusOf(guard, await idp.mintJwt({ aud: 'orders' }))).toBe(idp.issuer);
      expect(await statusOf(guard, await idp.mintJwt({ aud: 'api' }))).toBe(401);
    }
  });

  it("an entry's own jwt.audience wins over the guard's; the other entry keeps the guard's", async () => {
    const guard = guardWith({
      jwt: { audience: 'orders' },
      issuers: [{ issuer: a.issuer }, { issuer: b.issuer, jwt: { audience: 'billing' } }],
    });
    expect(await statusOf(guard, await b.mintJwt({ aud: 'billing' }))).toBe(b.issuer);
    expect(await statusOf(guard, await b.mintJwt({ aud: 'orders' }))).toBe(401);
    expect(await statusOf(guard, await a.mintJwt({ aud: 'orders' }))).toBe(a.issuer);
    expect(await statusOf(guard, await a.mintJwt({ aud: 'billing' }))).toBe(401);
  });

  it('the guard introspection.clientAuth serves an entry that names only its endpoint', async () => {
    const guard = guardWith({
      introspection: { clientAuth: { method: 'bearer', token: a.callerToken } },
      issuers: [{ issuer: a.issuer, introspection: { endpoint: a.introspectionEndpoint } }],
    });
    a.resetCalls();
    // The identity server answers only a caller presenting its caller token.
    expect(await statusOf(guard, a.mintToken())).toBe(a.issuer);
    expect(a.calls.introspect).toBe(1);
  });

  it("an entry's own introspection.clientAuth is taken whole over the guard's", async () => {
    const guard = guardWith({
      introspection: { clientAuth: { method: 'bearer', token: a.callerToken } },
      issuers: [
        {
          issuer: a.issuer,
          introspection: {
            endpoint: a.introspectionEndpoint,
            clientAuth: { method: 'bearer', token: b.callerToken },
          },
        },
      ],
    });
    // The identity server refuses that caller: our own credentials are wrong (500), never a verdict.
    expect(await statusOf(guard, a.mintToken())).toBe(500);
  });

  it('the guard strategy is the default of every entry', async () => {
    const guard = guardWith({
      strategy: 'introspection',
      introspection: { clientAuth: { method: 'bearer', token: a.callerToken } },
      jwt: { audience: 'api' },
      issuers: [{ issuer: a.issuer, introspection: { endpoint: a.introspectionEndpoint } }],
    });
    a.resetCalls();
    expect(await statusOf(guard, await a.mintJwt())).toBe(a.issuer);
    expect(a.calls).toMatchObject({ introspect: 1, jwks: 0 });
  });

  it('entries resolveIssuer returns inherit the guard jwt too', async () => {
    const guard = guardWith({
      jwt: { audience: 'orders' },
      resolveIssuer: (iss) => (iss === a.issuer ? { issuer: iss } : undefined),
    });
    expect(await statusOf(guard, await a.mintJwt({ aud: 'orders' }))).toBe(a.issuer);
    expect(await statusOf(guard, await a.mintJwt({ aud: 'api' }))).toBe(401);
    expect(await statusOf(guard, await b.mintJwt({ aud: 'orders' }))).toBe(401);
  });
});

describe('several issuers: resolveIssuer', () => {
  it('an entry for another issuer than asked is the application’s bug → 500', async () => {
    const guard = guardWith({ resolveIssuer: () => entry(a) });
    expect(await codeOf(guard.verify(await b.mintJwt()))).toBe('server_error');
  });

  it('a resolver that throws → 500; one that returns a bad entry → 500', async () => {
    const throwing = guardWith({
      resolveIssuer: () => {
        throw new Error('tenant table down');
      },
    });
    expect(await codeOf(throwing.verify(await a.mintJwt()))).toBe('server_error');
    const bad = guardWith({ resolveIssuer: (iss) => ({ issuer: iss }) });
    expect(await codeOf(bad.verify(await a.mintJwt()))).toBe('server_error');
  });

  it('concurrent tokens of one new issuer share one lookup', async () => {
    let calls = 0;
    const guard = guardWith({
      resolveIssuer: async (iss) => {
        calls++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return iss === a.issuer ? entry(a) : undefined;
      },
    });
    const tokens = await Promise.all([1, 2, 3, 4].map(() => a.mintJwt()));
    const auths = await Promise.all(tokens.map((token) => guard.verify(token)));
    expect(auths.map((auth) => auth.issuer)).toEqual([a.issuer, a.issuer, a.issuer, a.issuer]);
    expect(calls).toBe(1);
  });

  it('maxIssuers: the least recently used resolved issuer is let go, and found again when needed', async () => {
    const asked: string[] = [];
    const guard = guardWith({
      maxIssuers: 1,
      resolveIssuer: (iss) => {
        asked.push(iss);
        return [a, b].map(entry).find((candidate) => candidate.issuer === iss);
      },
    });
    await guard.verify(await a.mintJwt());
    await guard.verify(await b.mintJwt());
    expect(Object.keys(guard.metrics().issuers ?? {})).toEqual([b.issuer]);
    await guard.verify(await a.mintJwt());
    expect(asked).toEqual([a.issuer, b.issuer, a.issuer]);
  });

  it('verify(token) of an opaque token with no introspecting issuer → 401', async () => {
    const guard = guardWith({ issuers: [entry(a)] });
    expect(await codeOf(guard.verify(a.mintToken()))).toBe('invalid_token');
  });
});

describe('several issuers: health, metrics text and trace', () => {
  // Nothing listens on port 1: this issuer's key set can never be fetched.
  const down: IssuerOptions = {
    issuer: 'http://127.0.0.1:1',
    jwt: { jwksUri: 'http://127.0.0.1:1/jwks', audience: 'api' },
  };

  it('each issuer is checked on its own; one issuer down leaves the guard ready', async () => {
    const guard = guardWith({ issuers: [entry(a), down] });
    const health = await guard.health({ probe: true });
    expect(health.issuers?.[a.issuer]).toMatchObject({ ready: true, keys: 'ok' });
    expect(health.issuers?.[down.issuer]).toMatchObject({ ready: false, keys: 'failed' });
    // The summary shows the worst state, and is ready while one issuer can validate.
    expect(health).toMatchObject({ ready: true, keys: 'failed', breaker: 'not-used' });
  });

  it('every issuer down → not ready', async () => {
    const guard = guardWith({ issuers: [down] });
    expect(await guard.health({ probe: true })).toMatchObject({ ready: false, keys: 'failed' });
  });

  it('metricsText(): per-issuer counters carry the issuer as a label, never in a name', async () => {
    const guard = guardWith({ issuers: [entry(a), entry(b)] });
    await guard.verify(await a.mintJwt());
    const text = guard.metricsText();
    expect(text).toContain(`tokenguard_issuer_jwks_fetches_total{issuer="${a.issuer}"} 1`);
    expect(text).toContain(`tokenguard_issuer_jwks_fetches_total{issuer="${b.issuer}"} 0`);
    expect(text).toContain(
      `tokenguard_issuer_breaker_state{issuer="${a.issuer}",state="closed"} 1`,
    );
    expect(text).not.toMatch(/^tokenguard_issuers_/m);
  });

  it('tokenguard:validate trace: the strategy and hash prefix of the issuer’s namespace', async () => {
    const traces: Array<Record<string, unknown>> = [];
    const channels = tracingChannel<unknown, Record<string, unknown>>('tokenguard:validate');
    const ignore = () => undefined;
    const handlers = {
      start: ignore,
      end: ignore,
      asyncStart: ignore,
      error: ignore,
      asyncEnd: (message: Record<string, unknown>) => {
        traces.push({ ...message });
      },
    };
    channels.subscribe(handlers);
    try {
      const guard = guardWith({ issuers: [entry(a)] });
      await guard.verify(await a.mintJwt());
    } finally {
      channels.unsubscribe(handlers);
    }
    expect(traces).toHaveLength(1);
    expect(traces[0]).toMatchObject({ operation: 'verify', strategy: 'jwt', cacheTier: 'none' });
    expect(traces[0]?.tokenHash).toMatch(/^[\w-]{8}$/);
  });
});
