/**
 * `verifyJwt` must answer exactly as jose's `jwtVerify` does (same payload, or the same error
 * class with the same claim and reason) for every token shape and key mix the guard can meet:
 * it only replaces WebCrypto's signature check with node:crypto's.
 */

import type { webcrypto } from 'node:crypto';
import {
  base64url,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwtVerify,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { maxTokenAgeDeadlineMs, verifyJwt } from '../../src/jwt/verify-jwt.js';

type CryptoKey = webcrypto.CryptoKey;

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api';
const OPTIONS: JWTVerifyOptions = {
  algorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'],
  issuer: ISSUER,
  audience: [AUDIENCE],
  clockTolerance: 5,
  typ: 'at+jwt',
  requiredClaims: ['exp'],
};
const ASYMMETRIC = ['RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
const pairs = new Map<string, KeyPair>();
const others = new Map<string, KeyPair>();
let jwks: JWTVerifyGetKey;
let secret: Uint8Array;

const now = () => Math.floor(Date.now() / 1000);
const goodClaims = () => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'alice',
  iat: now(),
  exp: now() + 60,
});

async function sign(
  alg: string,
  claims: Record<string, unknown> = goodClaims(),
  header: Record<string, unknown> = {},
  key: unknown = pairs.get(alg)?.privateKey,
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: alg, ...header })
    .sign(key as CryptoKey);
}

type Outcome =
  | { ok: true; payload: unknown }
  | { ok: false; error: string; claim?: unknown; reason?: unknown };

async function outcome(run: () => Promise<{ payload: unknown }>): Promise<Outcome> {
  try {
    return { ok: true, payload: (await run()).payload };
  } catch (error) {
    const e = error as {
      name: string;
      constructor: { name: string };
      claim?: unknown;
      reason?: unknown;
    };
    return { ok: false, error: e.constructor.name, claim: e.claim, reason: e.reason };
  }
}

async function expectSameAsJose(
  token: string,
  key: JWTVerifyGetKey | CryptoKey | Uint8Array = jwks,
  options: JWTVerifyOptions = OPTIONS,
): Promise<Outcome> {
  const ours = await outcome(() => verifyJwt(token, key as JWTVerifyGetKey, options));
  const jose = await outcome(() => jwtVerify(token, key as JWTVerifyGetKey, options));
  expect(ours).toEqual(jose);
  return ours;
}

/** Rewrites one segment of a compact JWS, keeping the others byte for byte. */
function withSegment(token: string, index: number, value: string): string {
  const parts = token.split('.');
  parts[index] = value;
  return parts.join('.');
}
const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));

beforeAll(async () => {
  const keys: JWK[] = [];
  for (const alg of ASYMMETRIC) {
    const options = alg === 'EdDSA' ? { crv: 'Ed25519' } : {};
    const pair = await generateKeyPair(alg, { extractable: true, ...options });
    pairs.set(alg, pair);
    others.set(alg, await generateKeyPair(alg, { extractable: true, ...options }));
    keys.push({ ...(await exportJWK(pair.publicKey)), kid: alg, alg });
  }
  jwks = createLocalJWKSet({ keys });
  secret = new Uint8Array(32).fill(7);
});

describe('verifyJwt answers as jose’s jwtVerify', () => {
  it.each(ASYMMETRIC)('%s: a good token verifies with the same payload', async (alg) => {
    const result = await expectSameAsJose(await sign(alg));
    expect(result.ok).toBe(true);
  });

  it.each(ASYMMETRIC)('%s: a token signed by another key fails the signature', async (alg) => {
    const result = await expectSameAsJose(
      await sign(alg, goodClaims(), {}, others.get(alg)?.privateKey),
    );
    expect(result).toMatchObject({ ok: false, error: 'JWSSignatureVerificationFailed' });
  });

  it.each(ASYMMETRIC)('%s: a changed payload fails the signature', async (alg) => {
    const token = await sign(alg);
    const forged = withSegment(token, 1, encodeJson({ ...goodClaims(), sub: 'mallory' }));
    const result = await expectSameAsJose(forged);
    expect(result).toMatchObject({ ok: false, error: 'JWSSignatureVerificationFailed' });
  });

  it.each(ASYMMETRIC)('%s: a truncated signature is refused', async (alg) => {
    const token = await sign(alg);
    const sig = token.split('.')[2] as string;
    const result = await expectSameAsJose(withSegment(token, 2, sig.slice(0, 40)));
    expect(result.ok).toBe(false);
  });

  it('RFC 8725 §3.1: a key is used only for the algorithm it was published for', async () => {
    // An RS256 key named by a PS256 token, and an ES256 key named by an ES384 token.
    const rs = await sign('RS256');
    const ps = withSegment(rs, 0, encodeJson({ alg: 'PS256', typ: 'at+jwt', kid: 'RS256' }));
    expect((await expectSameAsJose(ps)).ok).toBe(false);
    const rsKey256 = pairs.get('RS256')?.publicKey as CryptoKey;
    expect((await expectSameAsJose(ps, rsKey256)).ok).toBe(false);
    const es = await sign('ES384', goodClaims(), { kid: 'ES256' });
    expect((await expectSameAsJose(es)).ok).toBe(false);
    // A direct key of the wrong type for the header's alg.
    const rsKey = pairs.get('RS256')?.publicKey as CryptoKey;
    expect((await expectSameAsJose(await sign('ES256'), rsKey)).ok).toBe(false);
  });

  it('HMAC: verifies with a secret, refuses a public-key alg with a secret and the reverse', async () => {
    const options = { ...OPTIONS, algorithms: ['HS256', 'RS256'] };
    const hs = await sign('HS256', goodClaims(), {}, secret);
    expect((await expectSameAsJose(hs, secret, options)).ok).toBe(true);
    const rs = await sign('RS256');
    expect((await expectSameAsJose(rs, secret, options)).ok).toBe(false);
    const badMac = await sign('HS256', goodClaims(), {}, new Uint8Array(32).fill(8));
    expect(await expectSameAsJose(badMac, secret, options)).toMatchObject({
      error: 'JWSSignatureVerificationFailed',
    });
  });

  it('alg not in the allow-list (HS256, none) is refused before any key is used', async () => {
    const hs = await sign('HS256', goodClaims(), {}, secret);
    expect(await expectSameAsJose(hs)).toMatchObject({ error: 'JOSEAlgNotAllowed' });
    const none = withSegment(await sign('RS256'), 0, encodeJson({ alg: 'none', typ: 'at+jwt' }));
    expect((await expectSameAsJose(none)).ok).toBe(false);
  });

  it.each([
    ['expired', { exp: now() - 60 }],
    ['expired within the tolerance is still valid', { exp: now() - 2 }],
    ['not yet valid', { nbf: now() + 60 }],
    ['wrong issuer', { iss: 'https://other.test' }],
    ['wrong audience', { aud: 'other' }],
    ['audience list containing ours', { aud: ['other', AUDIENCE] }],
    ['exp missing', { exp: undefined }],
    ['exp not a number', { exp: '9999999999' }],
    ['iat not a number', { iat: 'yesterday' }],
    ['nbf not a number', { nbf: true }],
    ['iss missing', { iss: undefined }],
  ])('RFC 7519 §4.1 claims: %s', async (_name, change) => {
    const claims: Record<string, unknown> = { ...goodClaims(), ...change };
    for (const [k, v] of Object.entries(claims)) if (v === undefined) delete claims[k];
    await expectSameAsJose(await sign('ES256', claims));
  });

  it('maxTokenAge: an old iat expires, a future iat is refused, a missing iat is missing', async () => {
    const options = { ...OPTIONS, maxTokenAge: 30 };
    await expectSameAsJose(
      await sign('ES256', { ...goodClaims(), iat: now() - 120 }),
      jwks,
      options,
    );
    await expectSameAsJose(
      await sign('ES256', { ...goodClaims(), iat: now() + 120 }),
      jwks,
      options,
    );
    const { iat: _, ...noIat } = goodClaims();
    await expectSameAsJose(await sign('ES256', noIat), jwks, options);
  });

  it('maxTokenAge applies clockTolerance as jose does; maxTokenAgeDeadlineMs is the first refused millisecond', async () => {
    // maxTokenAge 30 s, clockTolerance 5 s: accepted through second iat + 35, refused from
    // iat + 36 on. A cached verdict ends at maxTokenAgeDeadlineMs, so it must be exactly that.
    const iat = 1_900_000_000;
    const token = await sign('ES256', { ...goodClaims(), iat, exp: iat + 3600 });
    const options = { ...OPTIONS, maxTokenAge: 30 };
    const deadline = maxTokenAgeDeadlineMs(iat, 30, 5);
    expect(deadline).toBe((iat + 36) * 1000);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(deadline - 1);
      expect((await expectSameAsJose(token, jwks, options)).ok).toBe(true);
      vi.setSystemTime(deadline);
      expect(await expectSameAsJose(token, jwks, options)).toMatchObject({
        ok: false,
        error: 'JWTExpired',
        claim: 'iat',
      });
    } finally {
      vi.useRealTimers();
    }
  });

  it('RFC 9068 §4 typ: at+jwt and application/at+jwt pass, JWT and a missing typ fail', async () => {
    expect(
      (await expectSameAsJose(await sign('ES256', goodClaims(), { typ: 'application/AT+JWT' }))).ok,
    ).toBe(true);
    expect((await expectSameAsJose(await sign('ES256', goodClaims(), { typ: 'JWT' }))).ok).toBe(
      false,
    );
    expect((await expectSameAsJose(await sign('ES256', goodClaims(), { typ: undefined }))).ok).toBe(
      false,
    );
  });

  it('RFC 7515 §4.1.11 crit: unknown extensions refused, b64:false refused for JWTs', async () => {
    const token = await sign('ES256');
    const header = { alg: 'ES256', typ: 'at+jwt', kid: 'ES256' };
    for (const extra of [
      { crit: ['exp'], exp: 1 },
      { crit: ['b64'] },
      { crit: ['b64'], b64: false },
      { crit: ['b64'], b64: 'no' },
      { crit: ['b64', 'b64'], b64: true },
      { crit: [] },
      { crit: 'b64', b64: true },
    ]) {
      const forged = withSegment(token, 0, encodeJson({ ...header, ...extra }));
      expect((await expectSameAsJose(forged)).ok).toBe(false);
    }
  });

  it('malformed compact serialisations are refused as jose refuses them', async () => {
    const token = await sign('ES256');
    for (const bad of [
      token.split('.').slice(0, 2).join('.'),
      `${token}.x`,
      withSegment(token, 0, 'not-json'),
      withSegment(token, 0, encodeJson(['alg', 'ES256'])),
      withSegment(token, 0, encodeJson({ typ: 'at+jwt' })),
      withSegment(token, 1, base64url.encode('not json')),
      withSegment(token, 1, encodeJson([1, 2])),
    ]) {
      expect((await expectSameAsJose(bad)).ok).toBe(false);
    }
  });

  it('a protected header parsed once is shared frozen, and never lets another token through', async () => {
    const first = await verifyJwt(await sign('ES256'), jwks, OPTIONS);
    const second = await verifyJwt(
      await sign('ES256', { ...goodClaims(), sub: 'bob' }),
      jwks,
      OPTIONS,
    );
    expect(second.protectedHeader).toBe(first.protectedHeader);
    expect(Object.isFrozen(first.protectedHeader)).toBe(true);
    expect(second.payload.sub).toBe('bob');
    // Same header, another key's signature: refused although the header is known.
    const foreign = await sign('ES256', goodClaims(), {}, others.get('ES256')?.privateKey);
    expect((await expectSameAsJose(foreign)).ok).toBe(false);
    // More distinct headers than are kept: each still verified on its own.
    for (let i = 0; i < 300; i++) {
      const token = await sign('ES256', goodClaims(), { nonce: String(i) });
      expect((await verifyJwt(token, jwks, OPTIONS)).protectedHeader.nonce).toBe(String(i));
    }
  });
});
