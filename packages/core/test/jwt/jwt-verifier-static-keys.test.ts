import { generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { base64url, type JWTPayload, SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidTokenError } from '../../src/errors.js';
import type { HttpClient } from '../../src/internal/http-client.js';
import { createJwtVerifier } from '../../src/jwt/create-jwt-verifier.js';
import { normalizeJwtOptions } from '../../src/jwt/normalize-jwt-options.js';
import type { JwtOptions } from '../../src/options/types.js';

const ISSUER = 'https://id.example';
const GUARD = { issuer: ISSUER, clockToleranceSec: 5, allowInsecureHttp: false };
const SECRET = 's'.repeat(32);

// Keys are generated at test start, never committed.
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const rsa3 = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ec384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const ed = generateKeyPairSync('ed25519');

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }) as string;
const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid });

/** No HTTP may happen with static keys: any call fails the test. */
const noHttp: HttpClient = {
  send: () => Promise.reject(new Error('static keys must not cause HTTP')),
  close: async () => undefined,
};

function verifierFor(options: Partial<JwtOptions> & Record<string, unknown>) {
  const config = normalizeJwtOptions({ audience: 'api', ...options } as JwtOptions, GUARD);
  return createJwtVerifier(config, {
    http: noHttp,
    jwksUri: () => Promise.reject(new Error('static keys have no JWKS')),
  });
}

const now = () => Math.floor(Date.now() / 1000);

interface SignOptions {
  readonly alg?: string;
  readonly header?: Record<string, unknown>;
  readonly claims?: JWTPayload;
  readonly key?: KeyObject | Uint8Array;
}

/** A valid RFC 9068 access token unless the options say otherwise. */
function sign({ alg = 'RS256', header = {}, claims = {}, key = rsa.privateKey }: SignOptions = {}) {
  return new SignJWT({
    iss: ISSUER,
    aud: 'api',
    sub: 'user-1',
    client_id: 'client-1',
    iat: now(),
    exp: now() + 600,
    jti: randomUUID(),
    ...claims,
  })
    .setProtectedHeader({ alg, typ: 'at+jwt', kid: 'k-rsa', ...header })
    .sign(key);
}

async function expectInvalid(promise: Promise<unknown>, reason?: RegExp, token?: string) {
  const error = await promise.then(
    () => {
      throw new Error('expected the token to be refused');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
  const message = (error as Error).message;
  expect(message).toMatch(/^jwt: /);
  if (reason) expect(message).toMatch(reason);
  if (token) expect(message).not.toContain(token.split('.')[1]);
}

afterEach(() => {
  vi.useRealTimers();
});

describe('static public keys', () => {
  it.each([
    ['RS256 with a PEM SPKI key', 'RS256', rsa.privateKey, pem(rsa.publicKey)],
    ['PS256 with a PEM SPKI key', 'PS256', rsa.privateKey, pem(rsa.publicKey)],
    ['ES256 with a KeyObject', 'ES256', ec.privateKey, ec.publicKey],
    ['ES384 with a JWK', 'ES384', ec384.privateKey, jwk(ec384.publicKey, 'k-rsa')],
    ['EdDSA with a JWK Set', 'EdDSA', ed.privateKey, { keys: [jwk(ed.publicKey, 'k-rsa')] }],
  ])('RFC 7515 §5.2: %s verifies', async (_name, alg, privateKey, keys) => {
    const verifier = verifierFor({ keys });
    const claims = await verifier.verify(await sign({ alg, key: privateKey as KeyObject }));
    expect(claims).toMatchObject({
      active: true,
      sub: 'user-1',
      client_id: 'client-1',
      iss: ISSUER,
    });
  });

  it('RFC 7515 §4.1.4: a key configured with a kid only verifies tokens naming that kid', async () => {
    const verifier = verifierFor({ keys: [jwk(rsa.publicKey, 'k-rsa')] });
    await expect(verifier.verify(await sign())).resolves.toMatchObject({ active: true });
    await expectInvalid(verifier.verify(await sign({ header: { kid: 'other' } })), /no key/);
  });

  it('a kid-less key (PEM) verifies tokens whatever kid they name', async () => {
    const verifier = verifierFor({ keys: [jwk(rsa2.publicKey, 'k-2'), pem(rsa.publicKey)] });
    await expect(
      verifier.verify(await sign({ header: { kid: 'anything' } })),
    ).resolves.toMatchObject({
      active: true,
    });
  });

  it('a token without kid is tried against each candidate key (rotation), and refused by none', async () => {
    const verifier = verifierFor({ keys: [pem(rsa.publicKey), pem(rsa2.publicKey)] });
    const noKid = (key: KeyObject) =>
      new SignJWT({
        iss: ISSUER,
        aud: 'api',
        sub: 'u',
        client_id: 'c',
        iat: now(),
        jti: randomUUID(),
        exp: now() + 60,
      })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
        .sign(key);
    await expect(verifier.verify(await noKid(rsa2.privateKey))).resolves.toMatchObject({
      active: true,
    });
    await expectInvalid(verifier.verify(await noKid(rsa3.privateKey)), /signature/);
  });

  it('RFC 7515 §5.2: a signature by another key is refused', async () => {
    const verifier = verifierFor({ keys: pem(rsa.publicKey) });
    await expectInvalid(verifier.verify(await sign({ key: rsa2.privateKey })), /signature/);
  });

  it('a tampered payload is refused', async () => {
    const verifier = verifierFor({ keys: pem(rsa.publicKey) });
    const [head, , signature] = (await sign()).split('.');
    const forged = base64url.encode(
      JSON.stringify({ iss: ISSUER, aud: 'api', exp: now() + 60, scope: 'admin' }),
    );
    await expectInvalid(verifier.verify(`${head}.${forged}.${signature}`), /signature/);
  });

  it('RFC 8725 §3.1: a token whose alg does not fit its key is refused', async () => {
    // The kid names the P-256 key; the token claims ES384 (signed with a P-384 key).
    const verifier = verifierFor({ keys: [jwk(ec.publicKey, 'k-ec')] });
    const token = await sign({ alg: 'ES384', key: ec384.privateKey, header: { kid: 'k-ec' } });
    await expectInvalid(verifier.verify(token), /no key/);
  });

  it('RFC 8725 §3.1: an algorithm outside the allow-list is refused even with the right key', async () => {
    const verifier = verifierFor({ keys: pem(rsa.publicKey), algorithms: ['RS256'] });
    await expectInvalid(verifier.verify(await sign({ alg: 'PS256' })), /alg not allowed/);
  });

  it('RFC 8725 §2.1: HS256 "signed" with the PEM public key is refused (key confusion)', async () => {
    const verifier = verifierFor({ keys: pem(rsa.publicKey) });
    const token = await sign({ alg: 'HS256', key: new TextEncoder().encode(pem(rsa.publicKey)) });
    await expectInvalid(verifier.verify(token), /alg not allowed/);
  });

  it.each(['none', 'None', 'NONE'])('RFC 8725 §3.2: alg %s is refused', async (alg) => {
    const verifier = verifierFor({ keys: pem(rsa.publicKey) });
    const body = base64url.encode(JSON.stringify({ iss: ISSUER, aud: 'api', exp: now() + 60 }));
    const token = `${base64url.encode(JSON.stringify({ alg, typ: 'at+jwt' }))}.${body}.`;
    await expectInvalid(verifier.verify(token), /alg not allowed/);
  });

  it.each([
    ['jku', { jku: 'https://attacker.example/jwks.json' }],
    ['jwk', { jwk: { ...rsa.publicKey.export({ format: 'jwk' }) } }],
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['x5c', { x5c: ['MIIB'] }],
  ])(
    'RFC 8725 §3.10: a token carrying a %s header is refused, even when correctly signed',
    async (name, header) => {
      const verifier = verifierFor({ keys: pem(rsa.publicKey) });
      await expectInvalid(
        verifier.verify(await sign({ header })),
        new RegExp(`'${name}' header refused`),
      );
    },
  );

  it('RFC 7515 §4.1.11: an unknown crit header is refused', async () => {
    const verifier = verifierFor({ keys: pem(rsa.publicKey) });
    const token = await new SignJWT({ iss: ISSUER, aud: 'api', exp: now() + 60 })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', crit: ['urn:x'], 'urn:x': true })
      .sign(rsa.privateKey, { crit: { 'urn:x': true } });
    await expectInvalid(verifier.verify(token), /crit/);
  });

  it.each(['', 'a.b', 'a.b.c', 'not-a-token', '...'])(
    'RFC 7515 §7.2: malformed input %j is refused',
    async (token) => {
      const verifier = verifierFor({ keys: pem(rsa.publicKey) });
      await expectInvalid(verifier.verify(token));
    },
  );
});

describe('RFC 9068 claims and header checks', () => {
  const verifier = () => verifierFor({ keys: pem(rsa.publicKey) });

  it.each(['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/AT+JWT'])(
    'RFC 9068 §4 / RFC 7515 §4.1.9: typ %s is accepted',
    async (typ) => {
      await expect(verifier().verify(await sign({ header: { typ } }))).resolves.toMatchObject({
        active: true,
      });
    },
  );

  it.each(['JWT', 'application/jwt', 'at+jwt+extra'])(
    'RFC 9068 §4: typ %s is refused',
    async (typ) => {
      await expectInvalid(verifier().verify(await sign({ header: { typ } })), /typ/);
    },
  );

  it('RFC 9068 §4: a missing typ is refused', async () => {
    const token = await new SignJWT({ iss: ISSUER, aud: 'api', exp: now() + 60 })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey);
    await expectInvalid(verifier().verify(token), /typ/);
  });

  it('requireTyp: false accepts a plain JWT typ', async () => {
    const relaxed = verifierFor({ keys: pem(rsa.publicKey), requireTyp: false });
    await expect(relaxed.verify(await sign({ header: { typ: 'JWT' } }))).resolves.toMatchObject({
      active: true,
    });
  });

  it('RFC 7519 §4.1.1: a wrong or missing iss is refused', async () => {
    await expectInvalid(
      verifier().verify(await sign({ claims: { iss: 'https://evil.example' } })),
      /iss/,
    );
    await expectInvalid(verifier().verify(await sign({ claims: { iss: undefined } })), /iss/);
  });

  it('RFC 7519 §4.1.3: aud must contain one of the configured audiences', async () => {
    const multi = verifierFor({ keys: pem(rsa.publicKey), audience: ['api', 'billing'] });
    await expect(
      multi.verify(await sign({ claims: { aud: ['other', 'billing'] } })),
    ).resolves.toMatchObject({
      active: true,
    });
    await expectInvalid(multi.verify(await sign({ claims: { aud: 'other' } })), /aud/);
    await expectInvalid(multi.verify(await sign({ claims: { aud: undefined } })), /aud/);
  });

  it('checkAudience: false accepts any aud, or none', async () => {
    const relaxed = verifierFor({
      keys: pem(rsa.publicKey),
      checkAudience: false,
      audience: undefined,
    });
    await expect(relaxed.verify(await sign({ claims: { aud: undefined } }))).resolves.toMatchObject(
      { active: true },
    );
  });

  it('RFC 9068 §2.2: exp is required', async () => {
    await expectInvalid(
      verifier().verify(await sign({ claims: { exp: undefined } })),
      /exp missing/,
    );
  });

  it('RFC 7519 §4.1.4: expired beyond the tolerance is refused; within it, accepted', async () => {
    await expectInvalid(verifier().verify(await sign({ claims: { exp: now() - 6 } })), /expired/);
    // now() - 3, not - 4: the wall clock may cross a second between signing and verifying.
    await expect(
      verifier().verify(await sign({ claims: { exp: now() - 3 } })),
    ).resolves.toMatchObject({
      active: true,
    });
  });

  it('RFC 7519 §4.1.5: nbf in the future beyond the tolerance is refused; within it, accepted', async () => {
    await expectInvalid(verifier().verify(await sign({ claims: { nbf: now() + 60 } })), /nbf/);
    await expect(
      verifier().verify(await sign({ claims: { nbf: now() + 4 } })),
    ).resolves.toMatchObject({
      active: true,
    });
  });

  it('RFC 7519 §4.1.6: iat in the future beyond the tolerance is refused; within it, accepted', async () => {
    await expectInvalid(
      verifier().verify(await sign({ claims: { iat: now() + 60 } })),
      /iat in the future/,
    );
    await expect(
      verifier().verify(await sign({ claims: { iat: now() + 4 } })),
    ).resolves.toMatchObject({
      active: true,
    });
  });

  it('RFC 7519 §4.1.6: a non-numeric iat is refused', async () => {
    await expectInvalid(
      verifier().verify(await sign({ claims: { iat: 'yesterday' as never } })),
      /iat/,
    );
  });

  it('maxTokenAgeSec: an iat older than the limit is refused, and iat becomes required', async () => {
    const young = verifierFor({ keys: pem(rsa.publicKey), maxTokenAgeSec: 60 });
    await expectInvalid(
      young.verify(await sign({ claims: { iat: now() - 300 } })),
      /maxTokenAgeSec/,
    );
    await expectInvalid(young.verify(await sign({ claims: { iat: undefined } })), /iat missing/);
    await expect(young.verify(await sign({ claims: { iat: now() - 30 } }))).resolves.toMatchObject({
      active: true,
    });
  });

  it('the clock tolerance follows the guard setting (faked Date)', async () => {
    const start = Date.now();
    vi.setSystemTime(start);
    const token = await sign({ claims: { exp: now() + 10 } });
    vi.setSystemTime(start + 14_000);
    await expect(verifier().verify(token)).resolves.toMatchObject({ active: true });
    vi.setSystemTime(start + 16_000);
    await expectInvalid(verifier().verify(token), /expired/);
  });

  it('refusal messages never carry the token', async () => {
    const token = await sign({ claims: { aud: 'other' } });
    await expectInvalid(verifier().verify(token), /aud mismatch/, token);
  });

  it('claims come back in the introspection shape (scp → scope, azp → client_id)', async () => {
    const token = await sign({
      claims: { client_id: undefined, azp: 'web', scp: ['a', 'b'], brand: 'acme' },
    });
    // RFC 9068 requires client_id: an issuer with azp only tunes requiredClaims.
    const tuned = verifierFor({
      keys: pem(rsa.publicKey),
      requiredClaims: ['iss', 'exp', 'aud', 'sub', 'iat', 'jti'],
    });
    await expect(tuned.verify(token)).resolves.toMatchObject({
      active: true,
      client_id: 'web',
      scope: 'a b',
      brand: 'acme',
    });
  });
});

describe('RFC 9068 §2.2 required claims, with their types', () => {
  const verifier = () => verifierFor({ keys: pem(rsa.publicKey) });

  it.each(['sub', 'client_id', 'jti', 'iat', 'aud', 'iss'])(
    'a token without %s is refused (claim_missing) with requireTyp on',
    async (claim) => {
      const token = await sign({ claims: { [claim]: undefined } });
      const error = await verifier()
        .verify(token)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 401 });
      expect((error as { reason: string }).reason).toMatch(/^claim_missing$|^claim_invalid$/);
    },
  );

  it.each([
    ['sub', 42],
    ['client_id', ['c']],
    ['jti', 7],
    ['iat', 'yesterday'],
  ])('a %s of the wrong type (%j) is refused, never dropped', async (claim, value) => {
    const token = await sign({ claims: { [claim]: value } as JWTPayload });
    await expect(verifier().verify(token)).rejects.toMatchObject({
      status: 401,
      reason: 'claim_invalid',
    });
  });

  it('requiredClaims tunes the list; exp stays required', async () => {
    const lax = verifierFor({ keys: pem(rsa.publicKey), requiredClaims: ['iss'] });
    const token = await sign({ claims: { jti: undefined, client_id: undefined } });
    await expect(lax.verify(token)).resolves.toMatchObject({ active: true });
    await expect(lax.verify(await sign({ claims: { exp: undefined } }))).rejects.toMatchObject({
      reason: 'claim_missing',
    });
  });

  it('requireTyp: false (no RFC 9068 profile) requires only iss, exp and aud', async () => {
    const lax = verifierFor({ keys: pem(rsa.publicKey), requireTyp: false });
    const token = await sign({ claims: { jti: undefined, client_id: undefined, sub: undefined } });
    await expect(lax.verify(token)).resolves.toMatchObject({ active: true });
  });
});

describe('shared HMAC secret', () => {
  const secretKey = new TextEncoder().encode(SECRET);

  it('RFC 7518 §3.2: HS256 with the configured secret verifies', async () => {
    const verifier = verifierFor({ secret: SECRET });
    await expect(
      verifier.verify(await sign({ alg: 'HS256', key: secretKey })),
    ).resolves.toMatchObject({
      active: true,
    });
  });

  it('another secret, another HS algorithm, or a public-key algorithm is refused', async () => {
    const verifier = verifierFor({ secret: SECRET });
    await expectInvalid(
      verifier.verify(await sign({ alg: 'HS256', key: new TextEncoder().encode('t'.repeat(32)) })),
      /signature/,
    );
    await expectInvalid(
      verifier.verify(await sign({ alg: 'HS384', key: new TextEncoder().encode('s'.repeat(48)) })),
      /alg not allowed/,
    );
    await expectInvalid(verifier.verify(await sign({ alg: 'RS256' })), /alg not allowed/);
  });

  it('RFC 8725 §3.10: key-supplying headers are refused with a secret too', async () => {
    const verifier = verifierFor({ secret: SECRET });
    const token = await sign({
      alg: 'HS256',
      key: secretKey,
      header: { jku: 'https://attacker.example/jwks' },
    });
    await expectInvalid(verifier.verify(token), /'jku' header refused/);
  });
});
