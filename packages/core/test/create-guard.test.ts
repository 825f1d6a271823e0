import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/cache/create-memory-store.js';
import { createGuard } from '../src/create-guard.js';
import { InvalidTokenError, TokenGuardConfigError, TokenGuardError } from '../src/errors.js';
import type { TokenGuard } from '../src/guard-types.js';
import type { GuardOptions } from '../src/options/types.js';
import type { TokenGuardLogger } from '../src/types.js';

let idp: IdentityServer;
let other: IdentityServer;
const guards: TokenGuard[] = [];

beforeAll(async () => {
  [idp, other] = await Promise.all([createIdentityServer(), createIdentityServer()]);
});
afterEach(async () => {
  idp.clearFaults();
  idp.resetCalls();
  await Promise.all(guards.splice(0).map((g) => g.close()));
});
afterAll(async () => {
  await Promise.all([idp.close(), other.close()]);
});

const quietLogger = (lines: string[] = []): TokenGuardLogger => ({
  warn: (m, d) => lines.push(`${m} ${JSON.stringify(d ?? {})}`),
  error: (m, d) => lines.push(`${m} ${JSON.stringify(d ?? {})}`),
});

function guardFor(server: IdentityServer, extra: Partial<GuardOptions> = {}): TokenGuard {
  const guard = createGuard({
    allowInsecureHttp: true,
    logger: quietLogger(),
    ...extra,
    introspection: {
      endpoint: server.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: server.callerToken },
      http: { timeoutMs: 300 },
      ...extra.introspection,
    },
  } as GuardOptions);
  guards.push(guard);
  return guard;
}

async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    return error instanceof TokenGuardError
      ? `${error.status} ${error.code}`
      : `crash ${String(error)}`;
  }
}

describe('createGuard: options are validated at construction', () => {
  it.each([
    [{}, 'introspection'],
    [{ introspection: { endpoint: 'http://id.example/introspect' } }, 'introspection.endpoint'],
    [{ introspection: { endpoint: 'not a url' } }, 'introspection.endpoint'],
    [
      { introspection: { endpoint: 'https://id.example/i', http: { timeoutMs: -1 } } },
      'introspection.http.timeoutMs',
    ],
    [{ introspection: { endpoint: 'https://id.example/i', timeOut: 5 } }, 'introspection.timeOut'],
    [{ introspection: { endpoint: 'https://id.example/i' }, scope: ['a'] }, 'scope'],
    [
      { introspection: { endpoint: 'https://id.example/i' }, cache: { maxTtlMs: 0 } },
      'cache.maxTtlMs',
    ],
    [{ introspection: { endpoint: 'https://id.example/i' }, strategy: 'jwt' }, 'jwt'],
    [{ introspection: { endpoint: 'https://id.example/i' }, scopes: ['has space'] }, 'scopes'],
  ])('a bad option throws a TypeError naming it (%j)', (options, option) => {
    let thrown: unknown;
    try {
      createGuard(options as GuardOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TokenGuardConfigError);
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as TokenGuardConfigError).option).toBe(option);
  });

  it("never mutates the caller's options", () => {
    const options = Object.freeze({
      introspection: Object.freeze({ endpoint: 'https://id.example/i' }),
      scopes: Object.freeze(['a']),
    });
    const guard = createGuard(options as GuardOptions);
    guards.push(guard);
    expect(options).toEqual({ introspection: { endpoint: 'https://id.example/i' }, scopes: ['a'] });
  });
});

describe('createGuard: introspection, cache and counters', () => {
  it('RFC 7662: verify returns the claims in the contract shape, the scopes and the strategy', async () => {
    // The file's first upstream call pays for a cold connection and JIT: on a busy machine that
    // alone can pass the 300 ms the fault cases use, and this case is about the answer's shape.
    const guard = guardFor(idp, {
      introspection: { http: { timeoutMs: 5000 } },
    } as Partial<GuardOptions>);
    const token = idp.mintToken({
      sub: 'u1',
      scope: 'a b',
      brand: 'acme',
      extra: { tenant: 't1' },
    });
    const auth = await guard.verify(token);
    expect(auth.claims).toMatchObject({
      active: true,
      sub: 'u1',
      scope: 'a b',
      brand: 'acme',
      tenant: 't1',
    });
    expect(auth.scopes).toEqual(['a', 'b']);
    expect(auth.strategy).toBe('introspection');
    expect(auth.token).toBe(token);
    await guard.verify(token);
    expect(guard.metrics()).toMatchObject({ upstreamCalls: 1, cacheMisses: 1, cacheHits: 1 });
    expect(idp.calls.introspect).toBe(1);
  });

  it('two guards sharing one store never serve each other their results', async () => {
    const store = createMemoryStore(100);
    const a = guardFor(idp, { cache: { store } });
    const b = guardFor(other, { cache: { store } });
    const token = idp.mintToken();
    expect(await outcome(a.verify(token))).toBe('ok');
    expect(await outcome(b.verify(token))).toBe('401 invalid_token');
  });

  it('RFC 7009 / oidc-provider: 400 unsupported_token_type is a token verdict (401), not a 500', async () => {
    const guard = guardFor(idp);
    idp.injectFault('introspect', {
      kind: 'status',
      status: 400,
      contentType: 'application/json',
      body: '{"error":"unsupported_token_type","error_description":"no"}',
    });
    expect(await outcome(guard.verify('a.b.c'))).toBe('401 invalid_token');
  });

  it('our own credentials refused → 500, details only in the log, never the token', async () => {
    const lines: string[] = [];
    const guard = guardFor(idp, { logger: quietLogger(lines) });
    idp.injectFault('introspect', { kind: 'status', status: 401 });
    const token = idp.mintToken();
    expect(await outcome(guard.verify(token))).toBe('500 server_error');
    expect(lines.join('\n')).toContain('HTTP 401');
    expect(lines.join('\n')).not.toContain(token);
  });

  it('a redirect from the endpoint is never followed: 503, and the target sees nothing', async () => {
    const guard = guardFor(idp);
    idp.injectFault('introspect', {
      kind: 'redirect',
      location: other.introspectionEndpoint,
      status: 307,
    });
    other.resetCalls();
    expect(await outcome(guard.verify(idp.mintToken()))).toBe('503 temporarily_unavailable');
    expect(other.calls.introspect).toBe(0);
  });

  it('faults are never cached: the first healthy answer recovers', async () => {
    const guard = guardFor(idp);
    const token = idp.mintToken();
    idp.injectFault('introspect', { kind: 'status', status: 502 }, 1);
    expect(await outcome(guard.verify(token))).toBe('503 temporarily_unavailable');
    expect(await outcome(guard.verify(token))).toBe('ok');
  });

  it('the concurrency cap bounds upstream calls and shows in the counters', async () => {
    const guard = guardFor(idp, {
      introspection: { maxConcurrent: 1, queueTimeoutMs: 20 } as never,
      cache: false,
    });
    idp.injectFault('introspect', { kind: 'delay', ms: 150 });
    const results = await Promise.all([1, 2, 3].map(() => outcome(guard.verify(idp.mintToken()))));
    expect(results.sort()).toEqual([
      '503 temporarily_unavailable',
      '503 temporarily_unavailable',
      'ok',
    ]);
    expect(guard.metrics().rejectedByConcurrencyCap).toBe(2);
    expect(idp.calls.introspect).toBe(1);
  });

  it('the circuit breaker answers 503 at once after repeated faults, then probes and recovers', async () => {
    const guard = guardFor(idp, {
      introspection: { breakerThreshold: 2, breakerCooldownMs: 100 } as never,
      cache: false,
    });
    idp.injectFault('introspect', { kind: 'status', status: 500 });
    for (let i = 0; i < 2; i++) await outcome(guard.verify(idp.mintToken()));
    const callsWhenOpened = idp.calls.introspect;
    expect(await outcome(guard.verify(idp.mintToken()))).toBe('503 temporarily_unavailable');
    expect(idp.calls.introspect).toBe(callsWhenOpened);
    expect(guard.metrics()).toMatchObject({ breakerState: 'open', rejectedByBreaker: 1 });
    idp.clearFaults();
    await new Promise((r) => setTimeout(r, 120));
    expect(await outcome(guard.verify(idp.mintToken()))).toBe('ok');
    expect(guard.metrics().breakerState).toBe('closed');
  });

  it('refusals are counted by code', async () => {
    const guard = guardFor(idp);
    await outcome(guard.verify('unknown-token'));
    await outcome(guard.authenticate({ method: 'GET', url: '/', headers: {} }));
    expect(guard.metrics().errors).toEqual({ invalid_token: 1, missing_token: 1 });
    expect(guard.metrics().reasons).toEqual({ token_inactive: 1, token_missing: 1 });
  });
});

describe('createGuard: refusal reason codes (README troubleshooting)', () => {
  it('the error carries `reason`; a debug-level line names it, never the token', async () => {
    const lines: string[] = [];
    const logger: TokenGuardLogger = {
      ...quietLogger(),
      debug: (message, detail) => lines.push(`${message} ${JSON.stringify(detail)}`),
    };
    const guard = guardFor(idp, { logger });
    const token = idp.mintToken({ extra: { exp: Math.floor(Date.now() / 1000) - 60 } });
    const error = await guard.verify(token).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_token', reason: 'token_expired' });
    expect(lines).toEqual([
      'tokenguard: refused 401 invalid_token (token_expired) {"status":401,"code":"invalid_token","reason":"token_expired"}',
    ]);
    expect(lines.join('')).not.toContain(token);
  });

  it('errorDescriptions: the body carries the fixed text of the reason; a cached refusal keeps it', async () => {
    const guard = guardFor(idp, { errorDescriptions: true });
    const token = idp.mintToken();
    idp.revoke(token);
    for (let i = 0; i < 2; i++) {
      const error = await guard.verify(token).catch((e: unknown) => e);
      expect(guard.errorResponse(error).body).toEqual({
        error: 'invalid_token',
        error_description: 'The access token is not active',
      });
    }
    expect(idp.calls.introspect).toBe(1);
  });
});

describe('createGuard: every refusal is answered with the guard’s own challenge settings', () => {
  it('RFC 6750 §3: verify() refusing a sender-constrained token challenges with the configured realm', async () => {
    const guard = guardFor(idp, { realm: 'orders' });
    const token = idp.mintToken({ extra: { cnf: { jkt: 'A'.repeat(43) } } });
    const refusal = await guard.verify(token).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(TokenGuardError);
    const answer = guard.errorResponse(refusal);
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe('Bearer realm="orders", error="invalid_token"');
    expect((refusal as TokenGuardError).reason).toBe('sender_constrained');
    expect((refusal as TokenGuardError).headers['www-authenticate']).toContain('realm="orders"');
  });

  it('an error shared by two guards is never changed: each answers with its own realm', async () => {
    const shop = guardFor(idp, { realm: 'shop' });
    const admin = guardFor(idp, { realm: 'admin' });
    const shared = new InvalidTokenError({ reason: 'token_inactive' });
    expect(shop.errorResponse(shared).headers['www-authenticate']).toContain('realm="shop"');
    expect(admin.errorResponse(shared).headers['www-authenticate']).toContain('realm="admin"');
    expect(shared.realm).toBe('api');
  });
});

describe('createGuard: evictSubject with a revocation (OpenID CAEP session-revoked)', () => {
  const jwtGuard = (cache: GuardOptions['cache']) => {
    const guard = createGuard({
      logger: quietLogger(),
      allowInsecureHttp: true,
      jwt: { issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri },
      cache,
    } as GuardOptions);
    guards.push(guard);
    return guard;
  };
  const nowSec = () => Math.floor(Date.now() / 1000);

  it.each([
    ['without a cache', false as const],
    ['with the in-process cache', undefined],
    ['with a shared store', { store: createMemoryStore() }],
  ])(
    '%s: the subject’s JWTs issued at or before it are refused, later ones pass, others untouched',
    async (_, cache) => {
      const guard = jwtGuard(cache);
      // Every time is anchored to one reading of the clock, so a slow machine cannot move
      // the newer token to the wrong side of the revocation.
      const minted = nowSec();
      const older = await idp.mintJwt({ sub: 'revoked-user', iat: minted - 10 });
      const otherUser = await idp.mintJwt({ sub: 'other-user', iat: minted - 10 });
      const newer = await idp.mintJwt({ sub: 'revoked-user', iat: minted - 2 });
      expect(await outcome(guard.verify(older))).toBe('ok');
      await guard.evictSubject('revoked-user', {
        issuedBeforeMs: (minted - 5) * 1000,
        keepMs: 60_000,
      });
      expect(await outcome(guard.verify(older))).toBe('401 invalid_token');
      expect(await outcome(guard.verify(newer))).toBe('ok');
      expect(await outcome(guard.verify(otherUser))).toBe('ok');
    },
  );

  it('a malformed revocation is a TypeError, not a silent eviction', async () => {
    const guard = jwtGuard(undefined);
    await expect(
      guard.evictSubject('someone', { issuedBeforeMs: Number.NaN, keepMs: 1000 }),
    ).rejects.toThrow(TypeError);
  });
});
