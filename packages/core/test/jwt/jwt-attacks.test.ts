import { type BadJwtKind, createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidTokenError } from '../../src/errors.js';
import { createHttpClient, type HttpClient } from '../../src/internal/http-client.js';
import { createJwtVerifier, type JwtVerifier } from '../../src/jwt/create-jwt-verifier.js';
import { isCompactJws } from '../../src/jwt/is-compact-jws.js';
import { normalizeJwtOptions } from '../../src/jwt/normalize-jwt-options.js';

let idp: IdentityServer;
let http: HttpClient;
let verifier: JwtVerifier;
let fetches = 0;

beforeAll(async () => {
  idp = await createIdentityServer();
  http = createHttpClient({ timeoutMs: 5000, maxResponseBytes: 65_536 });
  const config = normalizeJwtOptions(
    { audience: 'api', jwksUri: idp.jwksUri },
    { issuer: idp.issuer, clockToleranceSec: 5, allowInsecureHttp: true },
  );
  verifier = createJwtVerifier(config, {
    http,
    jwksUri: () => Promise.reject(new Error('unused')),
    onJwksFetch: () => {
      fetches += 1;
    },
  });
  // Load the key set with a good token first, as a running service would have.
  await verifier.verify(await idp.mintJwt());
});
afterAll(async () => {
  await http.close();
  await idp.close();
});

/** Each kind is wrong in exactly the way its name says and right in every other way. */
/** [kind, rule, the defence that must fire (from the log-safe message)] */
const ATTACKS: readonly [BadJwtKind, string, RegExp][] = [
  [
    'wrong-key',
    'RFC 7515 §5.2: signature by a key the issuer does not publish',
    /signature invalid/,
  ],
  ['alg-none', 'RFC 8725 §3.2: unsecured alg none', /alg not allowed/],
  [
    'hs256-with-public-key',
    'RFC 8725 §2.1: HS256 keyed with the public key (key confusion)',
    /alg not allowed/,
  ],
  ['expired', 'RFC 7519 §4.1.4: exp in the past', /expired/],
  ['future-nbf', 'RFC 7519 §4.1.5: nbf in the future', /nbf/],
  ['future-iat', 'RFC 7519 §4.1.6: iat in the future', /iat in the future/],
  ['wrong-iss', 'RFC 7519 §4.1.1: another issuer', /iss mismatch/],
  ['wrong-aud', 'RFC 7519 §4.1.3: another audience', /aud mismatch/],
  ['wrong-typ', 'RFC 9068 §4: typ JWT instead of at+jwt', /typ mismatch/],
  ['missing-typ', 'RFC 9068 §4: no typ', /typ mismatch/],
  ['unknown-kid', 'RFC 7515 §4.1.4: a kid the issuer does not publish', /no key matches/],
  ['jku-header', 'RFC 8725 §3.10: jku pointing at the attacker’s key set', /'jku' header refused/],
  ['embedded-jwk', 'RFC 8725 §3.10: the attacker’s key embedded as jwk', /'jwk' header refused/],
  [
    'x5u-header',
    'RFC 8725 §3.10: x5u pointing at the attacker’s certificate',
    /'x5u' header refused/,
  ],
  ['crit-header', 'RFC 7515 §4.1.11: an unknown critical header', /crit/],
  ['tampered-payload', 'RFC 7515 §5.2: payload changed after signing', /signature invalid/],
  ['missing-exp', 'RFC 9068 §2.2: no exp', /exp missing/],
];

describe('every attack token is refused with 401 invalid_token', () => {
  it.each(ATTACKS)('%s (%s)', async (kind, _rule, defence) => {
    const token = await idp.mintBadJwt(kind);
    // Auto mode must route every one of them to local verification, never to introspection.
    expect(isCompactJws(token)).toBe(true);
    const error = await verifier.verify(token).then(
      () => {
        throw new Error(`${kind} was accepted`);
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidTokenError);
    expect(error).toMatchObject({ code: 'invalid_token', status: 401 });
    expect((error as Error).message).toMatch(defence);
    expect((error as Error).message).not.toContain(token.split('.')[1]);
  });

  it('key-locating headers were never followed and forged tokens caused no refetch', () => {
    expect(idp.calls.attacker).toBe(0);
    // One fetch at start; every attack arrived inside the 30 s cooldown.
    expect(fetches).toBe(1);
  });
});
