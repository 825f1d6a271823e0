import { createIdentityServer, type Fault, type IdentityServer } from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidTokenError, UpstreamUnavailableError } from '../../src/errors.js';
import { createHttpClient, type HttpClient } from '../../src/internal/http-client.js';
import { createJwtVerifier } from '../../src/jwt/create-jwt-verifier.js';
import { normalizeJwtOptions } from '../../src/jwt/normalize-jwt-options.js';
import type { JwtOptions } from '../../src/options/types.js';

let idp: IdentityServer;
let http: HttpClient;

beforeAll(async () => {
  idp = await createIdentityServer();
  http = createHttpClient({ timeoutMs: 5000, maxResponseBytes: 65_536 });
});
afterAll(async () => {
  await http.close();
  await idp.close();
});
afterEach(() => {
  vi.useRealTimers();
  idp.clearFaults();
});

/** A verifier over `server`'s JWKS, counting its own fetches. */
function remoteVerifier(server: IdentityServer, options: Partial<JwtOptions> = {}) {
  const config = normalizeJwtOptions(
    { audience: 'api', jwksUri: server.jwksUri, ...options } as JwtOptions,
    { issuer: server.issuer, clockToleranceSec: 5, allowInsecureHttp: true },
  );
  const counter = { fetches: 0 };
  const verifier = createJwtVerifier(config, {
    http,
    jwksUri: () => Promise.reject(new Error('the configured jwksUri must be used')),
    onJwksFetch: () => {
      counter.fetches += 1;
    },
  });
  return { verifier, counter };
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

async function expectInvalid(promise: Promise<unknown>) {
  const error = await refusal(promise);
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
}

async function expectOutage(promise: Promise<unknown>) {
  const error = await refusal(promise);
  expect(error).toBeInstanceOf(UpstreamUnavailableError);
  expect(error).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
}

/** Freezes Date at the current time and returns a function that moves it forward. */
function freezeClock() {
  let now = Date.now();
  vi.setSystemTime(now);
  return (ms: number) => {
    now += ms;
    vi.setSystemTime(now);
  };
}

describe('remote JWKS: valid tokens', () => {
  it.each(['RS256', 'ES256', 'EdDSA'] as const)(
    'RFC 9068: a %s access token verifies',
    async (alg) => {
      const { verifier } = remoteVerifier(idp);
      const token = await idp.mintJwt({ scope: 'orders:read', brand: 'acme' }, { alg });
      await expect(verifier.verify(token)).resolves.toMatchObject({
        active: true,
        sub: 'user-1',
        client_id: 'client-1',
        scope: 'orders:read',
        brand: 'acme',
        iss: idp.issuer,
        aud: 'api',
      });
    },
  );

  it('the JWKS is fetched once and reused across tokens and algorithms', async () => {
    const { verifier, counter } = remoteVerifier(idp);
    for (const alg of ['RS256', 'ES256', 'EdDSA', 'RS256', 'ES256'] as const) {
      await verifier.verify(await idp.mintJwt({}, { alg }));
    }
    expect(counter.fetches).toBe(1);
  });

  it('single-flight: 500 concurrent first verifications share one JWKS fetch', async () => {
    const { verifier, counter } = remoteVerifier(idp);
    const before = idp.calls.jwks;
    const token = await idp.mintJwt({}, { alg: 'ES256' });
    const results = await Promise.all(Array.from({ length: 500 }, () => verifier.verify(token)));
    expect(results.every((claims) => claims.active === true)).toBe(true);
    expect(counter.fetches).toBe(1);
    expect(idp.calls.jwks - before).toBe(1);
  });
});

describe('remote JWKS: rotation and the refetch cooldown', () => {
  let rotating: IdentityServer;
  beforeAll(async () => {
    rotating = await createIdentityServer({ jwtAlgorithms: ['ES256'] });
  });
  afterAll(() => rotating.close());

  it('RFC 7517 §4.5: a rotated-in kid is accepted after one refetch, once the cooldown has passed', async () => {
    const advance = freezeClock();
    const { verifier, counter } = remoteVerifier(rotating);
    const oldToken = await rotating.mintJwt({}, { alg: 'ES256' });
    await verifier.verify(oldToken);
    expect(counter.fetches).toBe(1);

    await rotating.rotateKeys();
    const newToken = await rotating.mintJwt({}, { alg: 'ES256' });
    // Within the 30 s cooldown the set counts as fresh: the unknown kid is refused, no fetch.
    await expectInvalid(verifier.verify(newToken));
    expect(counter.fetches).toBe(1);

    advance(30_000);
    await expect(verifier.verify(newToken)).resolves.toMatchObject({ active: true });
    expect(counter.fetches).toBe(2);
    // The old key is still published: tokens signed before the rotation keep working.
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({ active: true });
    expect(counter.fetches).toBe(2);
  });

  it('a key the issuer removes stops being accepted after the periodic refresh (10 min)', async () => {
    const advance = freezeClock();
    const { verifier, counter } = remoteVerifier(rotating);
    const oldToken = await rotating.mintJwt({}, { alg: 'ES256' });
    await verifier.verify(oldToken);
    await rotating.rotateKeys();
    rotating.retireOldKeys();

    advance(600_000);
    // The stale set keeps serving this request while the refresh runs in the background.
    await expect(verifier.verify(oldToken)).resolves.toMatchObject({ active: true });
    await vi.waitFor(() => expectInvalid(verifier.verify(oldToken)));
    expect(counter.fetches).toBe(2);
  });

  it('500 concurrent tokens with unknown kids cause at most one refetch per cooldown window', async () => {
    const advance = freezeClock();
    const { verifier, counter } = remoteVerifier(rotating);
    await verifier.verify(await rotating.mintJwt({}, { alg: 'ES256' }));
    expect(counter.fetches).toBe(1);
    const unknownKid = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        rotating.mintJwt({}, { alg: 'ES256', header: { kid: `unknown-${i}` } }),
      ),
    );
    const before = rotating.calls.jwks;

    // Inside the cooldown: no refetch at all.
    await Promise.all(unknownKid.map((token) => expectInvalid(verifier.verify(token))));
    expect(counter.fetches).toBe(1);

    // Past it: the whole burst shares one refetch.
    advance(30_001);
    await Promise.all(unknownKid.map((token) => expectInvalid(verifier.verify(token))));
    expect(counter.fetches).toBe(2);
    expect(rotating.calls.jwks - before).toBe(1);

    // And the next burst in the new window causes none.
    advance(10_000);
    await Promise.all(
      unknownKid.slice(0, 100).map((token) => expectInvalid(verifier.verify(token))),
    );
    expect(counter.fetches).toBe(2);
  });

  it('a cold burst of unknown kids causes exactly one fetch', async () => {
    const { verifier, counter } = remoteVerifier(rotating);
    const token = await rotating.mintBadJwt('unknown-kid');
    await Promise.all(Array.from({ length: 500 }, () => expectInvalid(verifier.verify(token))));
    expect(counter.fetches).toBe(1);
  });
});

describe('remote JWKS: outages are 503, never 401', () => {
  it.each<[string, Fault]>([
    ['HTTP 500', { kind: 'status', status: 500 }],
    ['HTTP 404', { kind: 'status', status: 404 }],
    ['a redirect (never followed)', { kind: 'redirect', location: 'http://127.0.0.1:9/jwks' }],
    ['an HTML page', { kind: 'html' }],
    ['invalid JSON', { kind: 'non-json' }],
    ['JSON that is not a JWK Set', { kind: 'wrong-types' }],
    ['a body over the size limit', { kind: 'oversized', bytes: 70_000 }],
    ['a reset connection', { kind: 'reset' }],
  ])('JWKS answering %s → 503', async (_name, fault) => {
    const { verifier } = remoteVerifier(idp);
    idp.injectFault('jwks', fault, 1);
    await expectOutage(verifier.verify(await idp.mintJwt()));
  });

  it('a hanging JWKS endpoint → 503 within jwt.http.timeoutMs (+ slack)', async () => {
    const { verifier } = remoteVerifier(idp, { http: { timeoutMs: 300 } });
    idp.injectFault('jwks', { kind: 'hang' }, 1);
    const started = performance.now();
    await expectOutage(verifier.verify(await idp.mintJwt()));
    expect(performance.now() - started).toBeLessThan(300 + 1500);
  });

  it('a failed fetch is remembered briefly (no refetch storm), then retried', async () => {
    const advance = freezeClock();
    const { verifier, counter } = remoteVerifier(idp);
    const token = await idp.mintJwt();
    idp.injectFault('jwks', { kind: 'status', status: 503 }, 1);
    await expectOutage(verifier.verify(token));
    await Promise.all(Array.from({ length: 50 }, () => expectOutage(verifier.verify(token))));
    expect(counter.fetches).toBe(1);

    advance(2000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ active: true });
    expect(counter.fetches).toBe(2);
  });

  it('known keys keep working while a refresh fails; an unknown kid then gets 503, not 401', async () => {
    const advance = freezeClock();
    const { verifier, counter } = remoteVerifier(idp);
    const token = await idp.mintJwt();
    await verifier.verify(token);

    idp.injectFault('jwks', { kind: 'status', status: 500 });
    advance(600_000);
    await expect(verifier.verify(token)).resolves.toMatchObject({ active: true });
    await vi.waitFor(() => expect(counter.fetches).toBe(2));
    // The refresh failed moments ago: a new kid may be a rotation we cannot see.
    const unknownKid = await idp.mintJwt({}, { header: { kid: 'rotated-in' } });
    await expectOutage(verifier.verify(unknownKid));
    await expect(verifier.verify(token)).resolves.toMatchObject({ active: true });
    expect(counter.fetches).toBe(2);
  });

  it('callers waiting on one failed fetch share its error, complete when created (nothing annotates it later)', async () => {
    const { verifier } = remoteVerifier(idp);
    idp.injectFault('jwks', { kind: 'status', status: 500 }, 1);
    const token = await idp.mintJwt();
    const [a, b] = await Promise.all([
      refusal(verifier.verify(token)),
      refusal(verifier.verify(token)),
    ]);
    expect(a).toBeInstanceOf(UpstreamUnavailableError);
    expect(a).toBe(b);
  });
});
