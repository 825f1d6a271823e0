import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createDpopKey, type DpopKey } from '@tokenguard/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeCryptoVerifies } from '../../src/jwt/verify-jwt.js';
import { dpopProofKey } from '../../src/sender-constraint/dpop-proof-key.js';
import {
  accessTokenHash,
  checkDpopProof,
  type DpopProofExpectations,
} from '../../src/sender-constraint/verify-dpop-proof.js';
import { PROOF_TOKEN, PROOF_URL, proofExpectations } from './proof-expectations.js';

let key: DpopKey;
beforeAll(async () => {
  key = await createDpopKey();
});

const expectations = (over: Partial<DpopProofExpectations> = {}) =>
  proofExpectations({ jkt: key.jkt, ...over });

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A proof with the exact header and claims given, signed with `privateKey`. */
function proofWith(
  header: Record<string, unknown>,
  claims: Record<string, unknown> = {},
  privateKey: KeyObject = key.privateKey,
): string {
  const payload = {
    jti: randomUUID(),
    htm: 'GET',
    htu: PROOF_URL,
    iat: Math.floor(Date.now() / 1000),
    ath: accessTokenHash(PROOF_TOKEN),
    ...claims,
  };
  const input = `${segment(header)}.${segment(payload)}`;
  const rsa = privateKey.asymmetricKeyType === 'rsa';
  const signature = sign('sha256', Buffer.from(input), {
    key: privateKey,
    ...(rsa ? {} : { dsaEncoding: 'ieee-p1363' as const }),
  });
  return `${input}.${signature.toString('base64url')}`;
}

const goodHeader = () => ({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.publicJwk });

/**
 * `checkDpopProof` as a promise, so each case reads the same on both signature paths: a
 * refusal thrown synchronously (node:crypto) or by the promise (WebCrypto) rejects alike.
 */
const check = async (proof: string, expected: DpopProofExpectations) =>
  checkDpopProof(proof, expected);

describe('DPoP proof key (RFC 9449 §4.3, RFC 7638)', () => {
  it('the thumbprint is RFC 7638’s, and one header is checked once and shared', async () => {
    const proof = proofWith(goodHeader());
    const encoded = proof.slice(0, proof.indexOf('.'));
    const first = dpopProofKey(encoded);
    expect(first.jkt).toBe(key.jkt);
    expect(dpopProofKey(encoded)).toBe(first);
    expect((await check(proof, expectations())).jkt).toBe(key.jkt);
  });

  it('the signature goes where a JWT’s does: node:crypto in the same tick, else WebCrypto', async () => {
    const answer = checkDpopProof(proofWith(goodHeader()), expectations());
    // No promise on the node:crypto path: a DPoP request costs no extra tick there.
    expect(answer instanceof Promise).toBe(!nodeCryptoVerifies);
    expect((await answer).jkt).toBe(key.jkt);
  });

  it('a proof whose header was seen before still has its own signature checked', async () => {
    const good = proofWith(goodHeader());
    expect((await check(good, expectations())).jkt).toBe(key.jkt);
    const [h, p, s] = good.split('.') as [string, string, string];
    const flipped = Buffer.from(s, 'base64url');
    flipped[5] = (flipped[5] ?? 0) ^ 0x01;
    await expect(
      check(`${h}.${p}.${flipped.toString('base64url')}`, expectations()),
    ).rejects.toThrow(expect.objectContaining({ code: 'invalid_dpop_proof', status: 401 }));
    // Same header, claims of another request: refused for them, signature or not.
    const replayedHeader = proofWith(goodHeader(), { htm: 'POST' });
    await expect(check(replayedHeader, expectations())).rejects.toThrow(
      expect.objectContaining({ code: 'invalid_dpop_proof' }),
    );
  });

  it('RFC 9449 §7.1: a proof made with another key is refused before its signature is checked', async () => {
    const other = await createDpopKey();
    // Signed by the wrong private key for its own header: only a signature check could tell.
    const proof = proofWith({ typ: 'dpop+jwt', alg: 'ES256', jwk: other.publicJwk });
    await expect(check(proof, expectations())).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_dpop_proof',
        message: 'the DPoP proof key is not the token key',
      }),
    );
    // The same proof for a token bound to that key fails on its signature.
    await expect(check(proof, expectations({ jkt: other.jkt }))).rejects.toThrow(
      expect.objectContaining({ code: 'invalid_dpop_proof' }),
    );
  });

  it.each([
    ['a crit header (RFC 7515 §4.1.11)', { crit: ['b64'], b64: true }],
    ['a jwk for encryption (RFC 7517 §4.2)', { jwk: { use: 'enc' } }],
    ['a jwk for another alg (RFC 7517 §4.4)', { jwk: { alg: 'ES384' } }],
    ['a jwk whose key_ops exclude verify (RFC 7517 §4.3)', { jwk: { key_ops: ['sign'] } }],
    ['a jwk of another curve than alg (RFC 7518 §3.4)', { alg: 'ES384' }],
    [
      'an EC jwk with a point off the curve',
      { jwk: { x: Buffer.alloc(32, 1).toString('base64url') } },
    ],
    ['a typ with a media-type prefix', { typ: 'application/dpop+jwt' }],
  ])('%s is refused', async (_, change) => {
    const base = goodHeader();
    const header = {
      ...base,
      ...change,
      jwk: { ...base.jwk, ...('jwk' in change ? change.jwk : {}) },
    };
    await expect(check(proofWith(header), expectations({ jkt: undefined }))).rejects.toThrow(
      expect.objectContaining({ code: 'invalid_dpop_proof', status: 401 }),
    );
  });

  it('RSA keys: 2048 bits verify, under 2048 and over 4096 are refused', async () => {
    const sized = (modulusLength: number) => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
      const jwk = publicKey.export({ format: 'jwk' });
      return proofWith({ typ: 'dpop+jwt', alg: 'RS256', jwk }, {}, privateKey);
    };
    expect((await check(sized(2048), expectations({ jkt: undefined }))).jti).toBeTypeOf('string');
    await expect(check(sized(1024), expectations({ jkt: undefined }))).rejects.toThrow(
      expect.objectContaining({ code: 'invalid_dpop_proof' }),
    );
    // Over 4096 bits: refused from the header alone, before any key is imported (no RSA
    // key of that size needs generating to prove it).
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = {
      ...publicKey.export({ format: 'jwk' }),
      n: Buffer.alloc(513, 0xff).toString('base64url'),
    };
    const oversized = proofWith({ typ: 'dpop+jwt', alg: 'RS256', jwk }, {}, privateKey);
    await expect(check(oversized, expectations({ jkt: undefined }))).rejects.toThrow(
      expect.objectContaining({
        code: 'invalid_dpop_proof',
        message: expect.stringMatching(/over 4096 bits/),
      }),
    );
  });

  it('RFC 7519 §4.1.4–4.1.5: exp and nbf, when present, hold', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(
      check(proofWith(goodHeader(), { exp: now + 60, nbf: now }), expectations()),
    ).resolves.toMatchObject({ jkt: key.jkt });
    for (const claims of [{ exp: now - 60 }, { nbf: now + 60 }, { exp: 'soon' }]) {
      await expect(check(proofWith(goodHeader(), claims), expectations())).rejects.toThrow(
        expect.objectContaining({ code: 'invalid_dpop_proof' }),
      );
    }
  });

  it('an htu that needs normalising matches the request URI (RFC 3986 §6.2.2)', async () => {
    const proof = proofWith(goodHeader(), { htu: 'HTTPS://API.example.com:443/%6Frders' });
    expect((await check(proof, expectations())).jkt).toBe(key.jkt);
  });
});
