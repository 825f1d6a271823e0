import { generateKeyPairSync } from 'node:crypto';
import { type BadJwtKind, createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../src/internal/http-client.js';
import { createJwtVerifier } from '../../src/jwt/create-jwt-verifier.js';
import { createKeyMemo } from '../../src/jwt/create-key-memo.js';
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

function remoteVerifier() {
  const config = normalizeJwtOptions({ audience: 'api', jwksUri: idp.jwksUri } as JwtOptions, {
    issuer: idp.issuer,
    clockToleranceSec: 5,
    allowInsecureHttp: true,
  });
  return createJwtVerifier(config, {
    http,
    jwksUri: () => Promise.reject(new Error('the configured jwksUri must be used')),
  });
}

describe('key memo', () => {
  it('keeps a key only for the key set version it was chosen under, and empties on a change', () => {
    let version = 1;
    const memo = createKeyMemo(() => version);
    const header = Object.freeze({ alg: 'RS256', kid: 'a' });
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    memo.set(header, publicKey, memo.version());
    expect(memo.get(header)).toBe(publicKey);
    // Chosen before a refresh, stored after it: not kept.
    const before = memo.version();
    version = 2;
    memo.set(header, publicKey, before);
    expect(memo.get(header)).toBeUndefined();
    memo.set(header, publicKey, memo.version());
    version = 3;
    expect(memo.get(header)).toBeUndefined();
    expect(memo.get({ alg: 'RS256', kid: 'a' })).toBeUndefined();
  });

  // Each bad token carries the header of a token already verified (its key remembered) or a
  // header one parameter away from it: the remembered key must never let it through.
  it.each<BadJwtKind>([
    'tampered-payload',
    'wrong-key',
    'jku-header',
    'embedded-jwk',
    'x5u-header',
    'crit-header',
    'hs256-with-public-key',
    'alg-none',
  ])('RFC 8725: after a good token of the same key, %s is still refused', async (kind) => {
    const verifier = remoteVerifier();
    await expect(verifier.verify(await idp.mintJwt({ scope: 'a' }))).resolves.toMatchObject({
      active: true,
    });
    await expect(verifier.verify(await idp.mintBadJwt(kind))).rejects.toMatchObject({
      code: 'invalid_token',
      status: 401,
    });
    // And the good key keeps verifying after the refusal.
    await expect(verifier.verify(await idp.mintJwt({ scope: 'b' }))).resolves.toMatchObject({
      scope: 'b',
    });
  });
});
