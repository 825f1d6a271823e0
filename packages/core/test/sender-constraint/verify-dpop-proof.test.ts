import {
  type BadDpopProofKind,
  createBadDpopProof,
  createDpopKey,
  createDpopProof,
  type DpopKey,
} from '@tokenguard/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeHtu } from '../../src/sender-constraint/normalize-htu.js';
import { verifyDpopProof } from '../../src/sender-constraint/verify-dpop-proof.js';
import { PROOF_TOKEN, PROOF_URL, proofExpectations } from './proof-expectations.js';

let key: DpopKey;
beforeAll(async () => {
  key = await createDpopKey();
});

describe('verifyDpopProof (RFC 9449 §4.3)', () => {
  it.each(['ES256', 'RS256', 'EdDSA'] as const)(
    'a valid %s proof yields its RFC 7638 jkt',
    async (alg) => {
      const k = await createDpopKey(alg);
      const proof = await createDpopProof(k, {
        method: 'GET',
        url: PROOF_URL,
        accessToken: PROOF_TOKEN,
      });
      const verified = await verifyDpopProof(proof, proofExpectations());
      expect(verified.jkt).toBe(k.jkt);
      expect(verified.jti).toMatch(/^[0-9a-f-]{36}$/);
    },
  );

  const kinds: BadDpopProofKind[] = [
    'wrong-htm',
    'wrong-htu',
    'stale-iat',
    'future-iat',
    'wrong-ath',
    'no-ath',
    'no-jti',
    'private-key-embedded',
    'alg-none',
    'hs256',
    'wrong-typ',
    'bad-signature',
  ];
  it.each(kinds)('%s is refused with invalid_dpop_proof', async (kind) => {
    const proof = await createBadDpopProof(key, kind, {
      method: 'GET',
      url: PROOF_URL,
      accessToken: PROOF_TOKEN,
    });
    await expect(verifyDpopProof(proof, proofExpectations())).rejects.toMatchObject({
      code: 'invalid_dpop_proof',
      status: 401,
    });
  });

  it('other-key verifies, but yields the other key’s thumbprint (the guard compares with cnf.jkt)', async () => {
    const proof = await createBadDpopProof(key, 'other-key', {
      method: 'GET',
      url: PROOF_URL,
      accessToken: PROOF_TOKEN,
    });
    expect((await verifyDpopProof(proof, proofExpectations())).jkt).not.toBe(key.jkt);
  });

  it('an algorithm outside the allow-list is refused', async () => {
    const proof = await createDpopProof(key, {
      method: 'GET',
      url: PROOF_URL,
      accessToken: PROOF_TOKEN,
    });
    await expect(
      verifyDpopProof(proof, proofExpectations({ algorithms: ['RS256'] })),
    ).rejects.toMatchObject({ code: 'invalid_dpop_proof' });
  });

  it('a proof within clock tolerance in the future passes; iat older than the window fails', async () => {
    const now = Math.floor(Date.now() / 1000);
    const soon = await createDpopProof(key, {
      method: 'GET',
      url: PROOF_URL,
      accessToken: PROOF_TOKEN,
      iat: now + 3,
    });
    await expect(verifyDpopProof(soon, proofExpectations({ nowSec: now }))).resolves.toBeDefined();
    const old = await createDpopProof(key, {
      method: 'GET',
      url: PROOF_URL,
      accessToken: PROOF_TOKEN,
      iat: now - 70,
    });
    await expect(verifyDpopProof(old, proofExpectations({ nowSec: now }))).rejects.toMatchObject({
      code: 'invalid_dpop_proof',
    });
  });
});

describe('normalizeHtu (RFC 9449 §4.3, RFC 3986 §6.2.2–6.2.3)', () => {
  it.each([
    ['HTTPS://API.Example.COM:443/orders', 'https://api.example.com/orders'],
    ['http://api.example.com:80', 'http://api.example.com/'],
    ['https://api.example.com/a%7eb%2fc?x=1#f', 'https://api.example.com/a~b%2Fc'],
    ['https://api.example.com:8443/x', 'https://api.example.com:8443/x'],
  ])('%s → %s', (input, output) => {
    expect(normalizeHtu(input)).toBe(output);
  });

  it.each(['ftp://x/y', 'not a url', 'https://user:pw@api.example.com/'])(
    '%s is not a usable htu',
    (input) => {
      expect(normalizeHtu(input)).toBeUndefined();
    },
  );
});
