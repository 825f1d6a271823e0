import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { TokenGuardConfigError } from '../../src/errors.js';
import { normalizeJwtOptions } from '../../src/jwt/normalize-jwt-options.js';
import type { JwtOptions } from '../../src/options/types.js';

const GUARD = { issuer: 'https://id.example', clockToleranceSec: 5, allowInsecureHttp: false };
const NO_ISSUER = { clockToleranceSec: 5, allowInsecureHttp: false };
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const SECRET = 'a'.repeat(32);

function pem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

/** Runs the normaliser and returns the config error's option path (or fails the test). */
function optionPathOf(options: unknown, guard: typeof GUARD | typeof NO_ISSUER = GUARD): string {
  try {
    normalizeJwtOptions(options as JwtOptions, guard);
  } catch (error) {
    expect(error).toBeInstanceOf(TokenGuardConfigError);
    expect(error).toBeInstanceOf(TypeError);
    return (error as TokenGuardConfigError).option;
  }
  throw new Error('expected a TokenGuardConfigError');
}

describe('normalizeJwtOptions: defaults', () => {
  it('issuer-only guard: JWKS from discovery, public-key algorithms, typ required', () => {
    const config = normalizeJwtOptions({ audience: 'api' }, GUARD);
    expect(config).toMatchObject({
      issuer: 'https://id.example',
      audience: ['api'],
      algorithms: [
        'RS256',
        'RS384',
        'RS512',
        'PS256',
        'PS384',
        'PS512',
        'ES256',
        'ES384',
        'ES512',
        'EdDSA',
      ],
      requireTyp: true,
      maxTokenAgeSec: undefined,
      clockToleranceSec: 5,
      jwksCooldownMs: 30_000,
      jwksTimeoutMs: 5000,
      jwksMaxResponseBytes: 65_536,
      keySource: 'jwks',
      jwksUri: undefined,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('jwt.issuer wins over the guard issuer; aud may be a list', () => {
    const config = normalizeJwtOptions(
      {
        issuer: 'https://other.example',
        audience: ['a', 'b'],
        jwksUri: 'https://other.example/jwks',
      },
      NO_ISSUER,
    );
    expect(config.issuer).toBe('https://other.example');
    expect(config.audience).toEqual(['a', 'b']);
    expect(config.jwksUri?.href).toBe('https://other.example/jwks');
  });

  it('checkAudience: false skips the aud check', () => {
    expect(normalizeJwtOptions({ checkAudience: false }, GUARD).audience).toBeUndefined();
  });

  it('does not mutate the caller object', () => {
    const options = { audience: 'api', algorithms: ['ES256'] };
    const copy = structuredClone(options);
    normalizeJwtOptions(options, GUARD);
    expect(options).toEqual(copy);
  });
});

describe('normalizeJwtOptions: refused configurations name the option', () => {
  it.each([
    ['unknown key (typo protection)', { audience: 'api', audiance: 'api' }, 'jwt.audiance'],
    ['not an object', 'api', 'jwt'],
    ['audience missing', {}, 'jwt.audience'],
    ['audience empty list', { audience: [] }, 'jwt.audience'],
    ['audience empty string', { audience: '' }, 'jwt.audience'],
    [
      'audience with checkAudience false',
      { checkAudience: false, audience: 'api' },
      'jwt.audience',
    ],
    ['RFC 8725 §3.2: none', { audience: 'api', algorithms: ['RS256', 'none'] }, 'jwt.algorithms'],
    [
      'RFC 8725 §3.2: None in any case',
      { audience: 'api', algorithms: ['NONE'] },
      'jwt.algorithms',
    ],
    ['unknown algorithm', { audience: 'api', algorithms: ['RS257'] }, 'jwt.algorithms'],
    ['empty algorithms', { audience: 'api', algorithms: [] }, 'jwt.algorithms'],
    [
      'RFC 8725 §3.1: HS256 without a secret',
      { audience: 'api', algorithms: ['HS256'] },
      'jwt.algorithms',
    ],
    [
      'RFC 8725 §3.1: HMAC mixed with public keys',
      { audience: 'api', secret: SECRET, algorithms: ['HS256', 'RS256'] },
      'jwt.algorithms',
    ],
    [
      'secret with public-key algorithms',
      { audience: 'api', secret: SECRET, algorithms: ['RS256'] },
      'jwt.secret',
    ],
    [
      'RFC 7518 §3.2: HS256 secret under 32 bytes',
      { audience: 'api', secret: 'short' },
      'jwt.secret',
    ],
    [
      'RFC 7518 §3.2: HS512 secret under 64 bytes',
      { audience: 'api', secret: SECRET, algorithms: ['HS512'] },
      'jwt.secret',
    ],
    ['secret of the wrong type', { audience: 'api', secret: 42 }, 'jwt.secret'],
    [
      'two key sources',
      { audience: 'api', jwksUri: 'https://id.example/jwks', keys: pem(rsa.publicKey) },
      'jwt',
    ],
    [
      'jwksUri over plain http',
      { audience: 'api', jwksUri: 'http://id.example/jwks' },
      'jwt.jwksUri',
    ],
    ['jwksUri not a URL', { audience: 'api', jwksUri: 'jwks.json' }, 'jwt.jwksUri'],
    ['jwksCooldownMs negative', { audience: 'api', jwksCooldownMs: -1 }, 'jwt.jwksCooldownMs'],
    ['http.timeoutMs zero', { audience: 'api', http: { timeoutMs: 0 } }, 'jwt.http.timeoutMs'],
    [
      'maxTokenAgeSec not an integer',
      { audience: 'api', maxTokenAgeSec: 1.5 },
      'jwt.maxTokenAgeSec',
    ],
    ['requireTyp not a boolean', { audience: 'api', requireTyp: 'yes' }, 'jwt.requireTyp'],
    [
      'keys: a private PEM key',
      { audience: 'api', keys: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) },
      'jwt.keys',
    ],
    [
      'keys: a private JWK',
      { audience: 'api', keys: rsa.privateKey.export({ format: 'jwk' }) },
      'jwt.keys',
    ],
    ['keys: a symmetric JWK', { audience: 'api', keys: { kty: 'oct', k: 'c2VjcmV0' } }, 'jwt.keys'],
    ['keys: a private KeyObject', { audience: 'api', keys: ec.privateKey }, 'jwt.keys'],
    [
      'keys: garbage PEM',
      { audience: 'api', keys: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----' },
      'jwt.keys',
    ],
    [
      'keys: a malformed JWK',
      { audience: 'api', keys: { kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' } },
      'jwt.keys',
    ],
    ['keys: an empty JWK Set', { audience: 'api', keys: { keys: [] } }, 'jwt.keys'],
    ['keys: a number in a list', { audience: 'api', keys: [pem(rsa.publicKey), 7] }, 'jwt.keys[1]'],
    [
      'keys: no key fits the allowed algorithms',
      { audience: 'api', keys: pem(rsa.publicKey), algorithms: ['ES256'] },
      'jwt.keys',
    ],
    [
      'RFC 7518 §3.3: RSA key under 2048 bits',
      { audience: 'api', keys: generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey },
      'jwt.keys',
    ],
  ])('%s', (_name, options, path) => {
    expect(optionPathOf(options)).toBe(path);
  });

  it('issuer missing everywhere → jwt.issuer', () => {
    expect(optionPathOf({ audience: 'api', jwksUri: 'https://id.example/jwks' }, NO_ISSUER)).toBe(
      'jwt.issuer',
    );
  });

  it('no key source and no guard issuer for discovery → jwt.jwksUri', () => {
    expect(optionPathOf({ issuer: 'https://id.example', audience: 'api' }, NO_ISSUER)).toBe(
      'jwt.jwksUri',
    );
  });

  it('a custom path prefixes every option name', () => {
    expect(() =>
      normalizeJwtOptions({ audience: 'api', algorithms: ['none'] }, GUARD, 'routes.jwt'),
    ).toThrow(expect.objectContaining({ option: 'routes.jwt.algorithms' }));
  });
});

describe('normalizeJwtOptions: key sources', () => {
  it('jwksUri over http is accepted with allowInsecureHttp (loopback tests)', () => {
    const config = normalizeJwtOptions(
      { audience: 'api', jwksUri: 'http://127.0.0.1:1/jwks' },
      { ...GUARD, allowInsecureHttp: true },
    );
    expect(config.jwksUri?.protocol).toBe('http:');
  });

  it('static keys: PEM SPKI, KeyObject, JWK, JWK Set and lists become one public JWK Set', () => {
    const config = normalizeJwtOptions(
      {
        audience: 'api',
        keys: [
          pem(rsa.publicKey),
          ec.publicKey,
          { ...ed.publicKey.export({ format: 'jwk' }), kid: 'ed-1' },
          { keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', use: 'sig' }] },
        ],
      },
      GUARD,
    );
    expect(config.keySource).toBe('static');
    expect(config.staticKeys?.keys.map((jwk) => [jwk.kty, jwk.kid])).toEqual([
      ['RSA', undefined],
      ['EC', undefined],
      ['OKP', 'ed-1'],
      ['EC', 'ec-1'],
    ]);
    for (const jwk of config.staticKeys?.keys ?? []) expect(jwk).not.toHaveProperty('d');
  });

  it('secret: HS256 by default; the secret is neither enumerable nor shown by inspect', () => {
    const config = normalizeJwtOptions({ audience: 'api', secret: SECRET }, GUARD);
    expect(config.keySource).toBe('secret');
    expect(config.algorithms).toEqual(['HS256']);
    expect(config.secret).toEqual(new TextEncoder().encode(SECRET));
    expect(Object.keys(config)).not.toContain('secret');
    expect(JSON.stringify(config)).not.toContain(SECRET);
    expect(inspect(config)).not.toContain(SECRET);
    expect(config.secretId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('secret: two different secrets give different secretIds (no shared-cache confusion)', () => {
    const a = normalizeJwtOptions({ audience: 'api', secret: SECRET }, GUARD);
    const b = normalizeJwtOptions({ audience: 'api', secret: 'b'.repeat(32) }, GUARD);
    expect(a.secretId).not.toBe(b.secretId);
  });

  it('secret: a Uint8Array is copied, so later changes by the caller do not apply', () => {
    const bytes = new Uint8Array(48).fill(7);
    const config = normalizeJwtOptions(
      { audience: 'api', secret: bytes, algorithms: ['HS384'] },
      GUARD,
    );
    bytes.fill(0);
    expect(config.secret?.[0]).toBe(7);
  });
});
