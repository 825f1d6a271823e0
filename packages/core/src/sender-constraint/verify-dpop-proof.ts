/**
 * Verifies one DPoP proof JWT (RFC 9449 §4.3) with jose. Pure apart from the clock:
 * replay (`jti`) and nonce checks are the caller's, since they need shared state.
 */
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose';
import { InvalidDpopProofError } from '../errors.js';
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
}

export interface VerifiedDpopProof {
  /** RFC 7638 SHA-256 thumbprint of the proof's public key (compared with `cnf.jkt`). */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  /** The proof's `nonce` claim, when it has one. */
  readonly nonce?: string;
}

// Members of private (or symmetric) JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** `ath` (§4.2): base64url of the SHA-256 of the ASCII access token. */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

export async function verifyDpopProof(
  proof: string,
  expected: DpopProofExpectations,
): Promise<VerifiedDpopProof> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(proof);
  } catch {
    throw invalid('the DPoP proof is not a JWS');
  }
  // §4.3 checks 4–6: typ, an asymmetric alg we allow (never none or HMAC), a public jwk.
  if (header.typ !== 'dpop+jwt') throw invalid('the DPoP proof typ is not dpop+jwt');
  if (typeof header.alg !== 'string' || !expected.algorithms.includes(header.alg)) {
    throw invalid('the DPoP proof alg is not allowed');
  }
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalid('the DPoP proof has no jwk header');
  }
  // §4.3 check 6: "does not contain a private key". jose refuses private keys too; we
  // refuse any private member outright, before a key is even imported.
  for (const member of PRIVATE_MEMBERS) {
    if (member in jwk) throw invalid('the DPoP proof jwk contains private key material');
  }

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...expected.algorithms],
      // iat is checked below with the proof window; exp/nbf, if present, with our tolerance.
      clockTolerance: expected.clockToleranceSec,
      currentDate: new Date(expected.nowSec * 1000),
    }));
  } catch {
    throw invalid('the DPoP proof signature or structure is invalid');
  }

  const { jti, htm, htu, iat, ath, nonce } = payload;
  if (typeof jti !== 'string' || jti === '' || jti.length > 256) {
    throw invalid('the DPoP proof has no usable jti');
  }
  if (htm !== expected.method) throw invalid('the DPoP proof htm does not match the method');
  const proofHtu = typeof htu === 'string' ? normalizeHtu(htu) : undefined;
  if (proofHtu === undefined || !expected.htus.includes(proofHtu)) {
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
  if (ath !== accessTokenHash(expected.accessToken)) {
    throw invalid('the DPoP proof ath does not match the access token');
  }
  if (nonce !== undefined && typeof nonce !== 'string') {
    throw invalid('the DPoP proof nonce is not a string');
  }
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  return nonce === undefined ? { jkt, jti, iat } : { jkt, jti, iat, nonce };
}

function invalid(message: string): InvalidDpopProofError {
  return new InvalidDpopProofError({ message });
}
