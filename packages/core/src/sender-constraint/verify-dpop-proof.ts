/**
 * Verifies one DPoP proof JWT (RFC 9449 §4.3). Pure apart from the clock and the memo of
 * checked proof headers (dpop-proof-key.ts): replay (`jti`) and nonce checks are the caller's,
 * since they need shared state. Every check of §4.3 is made on every proof; what repeats from
 * one proof of a client to the next (its header, key and thumbprint) is worked out once.
 *
 * The signature goes where verify-jwt.ts sends a JWT's (`nodeCryptoVerifies`): node:crypto's
 * synchronous `verify` where it can, else WebCrypto's. Every other check comes first and is
 * the same on both, so both accept exactly the same proofs.
 */
import { hash } from 'node:crypto';
import { InvalidDpopProofError } from '../errors.js';
import { isBase64Url } from '../jwt/is-base64url.js';
import {
  nodeCryptoVerifies,
  verifyJwsSignature,
  verifyJwsSignatureWithWebCrypto,
} from '../jwt/verify-jwt.js';
import {
  DpopHeaderError,
  type DpopProofKey,
  dpopProofKey,
  importDpopProofCryptoKey,
  importDpopProofKey,
} from './dpop-proof-key.js';
import { normalizeHtu } from './normalize-htu.js';

export interface DpopProofExpectations {
  /** The request method (`htm`, §4.3 check 8), compared case-sensitively as HTTP methods are. */
  readonly method: string;
  /** Normalised request URIs the proof may name (`htu`, §4.3 check 9). */
  readonly htus: readonly string[];
  /** The access token presented with the proof (`ath`, §4.3 check 12). */
  readonly accessToken: string;
  /** Asymmetric algorithms accepted (§4.3 check 5). */
  readonly algorithms: readonly string[];
  /** How far `iat` may lie in the past, in seconds (§4.3 check 11, §11.1). */
  readonly maxAgeSec: number;
  /** How far `iat` may lie in the future, in seconds (clock skew). */
  readonly clockToleranceSec: number;
  /** The time to check against, in seconds since the epoch. */
  readonly nowSec: number;
  /**
   * The thumbprint the token is bound to (`cnf.jkt`, RFC 9449 §6.1). When given, a proof
   * signed with another key is refused before its signature is checked.
   */
  readonly jkt?: string;
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key (compared with `cnf.jkt`). */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  /** The proof's `nonce` claim, when it has one. */
  readonly nonce?: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** `ath` (§4.2): base64url of the SHA-256 of the ASCII access token. */
export function accessTokenHash(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** `checkDpopProof` as a promise (a refusal rejects). */
export async function verifyDpopProof(
  proof: string,
  expected: DpopProofExpectations,
): Promise<VerifiedDpopProof> {
  return checkDpopProof(proof, expected);
}

/**
 * Verifies a DPoP proof; throws `InvalidDpopProofError` for any failed check. Synchronous
 * where node:crypto verifies (no promise, no tick), a promise on the WebCrypto path (a
 * refused signature rejects; every other refusal still throws). Cheap checks come first, the
 * signature last, so a proof that fails any other check costs no signature verification
 * (§4.3 lists the checks, not their order).
 */
export function checkDpopProof(
  proof: string,
  expected: DpopProofExpectations,
): VerifiedDpopProof | Promise<VerifiedDpopProof> {
  const firstDot = proof.indexOf('.');
  const secondDot = proof.indexOf('.', firstDot + 1);
  if (firstDot === -1 || secondDot === -1 || proof.indexOf('.', secondDot + 1) !== -1) {
    throw invalid('the DPoP proof is not a JWS');
  }
  const encodedPayload = proof.slice(firstDot + 1, secondDot);
  const encodedSignature = proof.slice(secondDot + 1);
  // §4.3 checks 4–6: typ, an asymmetric alg we allow (never none or HMAC), a public jwk.
  let checked: DpopProofKey;
  try {
    checked = dpopProofKey(proof.slice(0, firstDot));
  } catch (error) {
    throw headerRefusal(error);
  }
  if (!expected.algorithms.includes(checked.alg))
    throw invalid('the DPoP proof alg is not allowed');
  // §7.1 (and §4.3 check 12's intent): the proof's key must be the token's; compared before
  // any signature work, so a proof made with another key costs a string comparison.
  if (expected.jkt !== undefined && checked.jkt !== expected.jkt) {
    throw invalid('the DPoP proof key is not the token key');
  }

  const payload = parsePayload(encodedPayload);
  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) {
    throw invalid('the DPoP proof has no usable jti');
  }
  if (htm !== expected.method) throw invalid('the DPoP proof htm does not match the method');
  if (typeof htu !== 'string' || !htuMatches(htu, expected.htus)) {
    throw invalid('the DPoP proof htu does not match the request URI');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw invalid('the DPoP proof has no iat');
  }
  if (iat > expected.nowSec + expected.clockToleranceSec) {
    throw invalid('the DPoP proof was issued in the future');
  }
  if (iat < expected.nowSec - expected.maxAgeSec - expected.clockToleranceSec) {
    throw invalid('the DPoP proof is too old');
  }
  // RFC 7519 §4.1.4–4.1.5: exp and nbf, when present, are numbers and hold (with the skew).
  const { exp, nbf } = payload;
  if (
    exp !== undefined &&
    (typeof exp !== 'number' || exp <= expected.nowSec - expected.clockToleranceSec)
  ) {
    throw invalid('the DPoP proof has expired');
  }
  if (
    nbf !== undefined &&
    (typeof nbf !== 'number' || nbf > expected.nowSec + expected.clockToleranceSec)
  ) {
    throw invalid('the DPoP proof is not yet valid');
  }
  if (typeof ath !== 'string' || ath !== accessTokenHash(expected.accessToken)) {
    throw invalid('the DPoP proof ath does not match the access token');
  }
  if (nonce !== undefined && typeof nonce !== 'string') {
    throw invalid('the DPoP proof nonce is not a string');
  }

  // §4.3 check 7: the signature, with the key in the header.
  const jkt = checked.jkt;
  const verified: VerifiedDpopProof =
    nonce === undefined ? { jkt, jti, iat } : { jkt, jti, iat, nonce };
  if (!nodeCryptoVerifies) {
    return checkWebCryptoSignature(checked, proof, secondDot, encodedSignature, verified);
  }
  let key: ReturnType<typeof importDpopProofKey>;
  try {
    key = importDpopProofKey(checked);
  } catch (error) {
    throw headerRefusal(error);
  }
  if (
    !isBase64Url(encodedSignature) ||
    !verifyJwsSignature(
      checked.alg,
      key,
      Buffer.from(proof.slice(0, secondDot), 'latin1'),
      Buffer.from(encodedSignature, 'base64url'),
    )
  ) {
    throw invalid('the DPoP proof signature or structure is invalid');
  }
  return verified;
}

/** §4.3 check 7 on the WebCrypto path: the same key rules and signature rule, awaited. */
async function checkWebCryptoSignature(
  checked: DpopProofKey,
  proof: string,
  secondDot: number,
  encodedSignature: string,
  verified: VerifiedDpopProof,
): Promise<VerifiedDpopProof> {
  const key = await importDpopProofCryptoKey(checked).catch((error: unknown) => {
    throw headerRefusal(error);
  });
  if (
    !isBase64Url(encodedSignature) ||
    // A signature WebCrypto cannot even read is a bad signature, refused as one (401).
    !(await verifyJwsSignatureWithWebCrypto(
      checked.alg,
      key,
      Buffer.from(proof.slice(0, secondDot), 'latin1'),
      Buffer.from(encodedSignature, 'base64url'),
    ).catch(() => false))
  ) {
    throw invalid('the DPoP proof signature or structure is invalid');
  }
  return verified;
}

/** The claims of a proof: a JSON object in strict base64url and UTF-8 (RFC 7519 §7.2). */
function parsePayload(encoded: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    if (!isBase64Url(encoded)) throw new Error('not base64url');
    parsed = JSON.parse(strictUtf8.decode(Buffer.from(encoded, 'base64url')));
  } catch {
    throw invalid('the DPoP proof signature or structure is invalid');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('the DPoP proof signature or structure is invalid');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Whether the proof's `htu` names one of the request's URIs (§4.3 check 9). The request's are
 * normalised already: a proof that names one exactly (what clients send) needs no parse.
 */
function htuMatches(htu: string, htus: readonly string[]): boolean {
  if (htus.includes(htu)) return true;
  const normalized = normalizeHtu(htu);
  return normalized !== undefined && htus.includes(normalized);
}

/** A refused header or key as `invalid_dpop_proof`; anything else unchanged. */
function headerRefusal(error: unknown): unknown {
  return error instanceof DpopHeaderError ? invalid(error.message) : error;
}

function invalid(message: string): InvalidDpopProofError {
  return new InvalidDpopProofError({ message });
}
