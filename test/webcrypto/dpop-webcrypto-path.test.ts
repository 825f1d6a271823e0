/**
 * This run's node:crypto has no `verify` (vitest.webcrypto.config.ts), so a DPoP proof's
 * signature (RFC 9449 §4.3 check 7) goes to WebCrypto, as a JWT's does: proven here on each
 * key type a client may use, then by the proof suites and the sender-constrained conformance.
 */
import { createDpopKey, createDpopProof } from '@tokenguard/testing';
import { expect, it } from 'vitest';
import { nodeCryptoVerifies } from '../../packages/core/src/jwt/verify-jwt.js';
import { dpopProofKey } from '../../packages/core/src/sender-constraint/dpop-proof-key.js';
import { checkDpopProof } from '../../packages/core/src/sender-constraint/verify-dpop-proof.js';
import {
  PROOF_TOKEN,
  PROOF_URL,
  proofExpectations,
} from '../../packages/core/test/sender-constraint/proof-expectations.js';

it('the one signature-path decision says WebCrypto in this run', () => {
  expect(nodeCryptoVerifies).toBe(false);
});

it.each(['ES256', 'RS256', 'EdDSA'] as const)(
  '%s: a valid proof passes through a WebCrypto key, a tampered one is refused',
  async (alg) => {
    const key = await createDpopKey(alg);
    const proof = await createDpopProof(key, {
      method: 'GET',
      url: PROOF_URL,
      accessToken: PROOF_TOKEN,
    });
    const expected = proofExpectations({ jkt: key.jkt });
    const answer = checkDpopProof(proof, expected);
    expect(answer).toBeInstanceOf(Promise);
    expect((await answer).jkt).toBe(key.jkt);
    const checked = dpopProofKey(proof.slice(0, proof.indexOf('.')));
    expect(checked.key).toBeUndefined();
    expect(await checked.cryptoKey).toMatchObject({ type: 'public', usages: ['verify'] });

    const [header, payload, signature] = proof.split('.') as [string, string, string];
    const flipped = Buffer.from(signature, 'base64url');
    flipped[3] = (flipped[3] ?? 0) ^ 0x01;
    await expect(
      checkDpopProof(`${header}.${payload}.${flipped.toString('base64url')}`, expected),
    ).rejects.toMatchObject({
      code: 'invalid_dpop_proof',
      message: 'the DPoP proof signature or structure is invalid',
    });
  },
);
