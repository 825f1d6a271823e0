/**
 * What the DPoP proof tests check proofs against: a GET of one URI with one access token,
 * the guard's algorithms, a 60 s window with 5 s of skew, now.
 */
import { ASYMMETRIC_ALGORITHMS } from '../../src/internal/asymmetric-algorithms.js';
import type { DpopProofExpectations } from '../../src/sender-constraint/verify-dpop-proof.js';

export const PROOF_URL = 'https://api.example.com/orders';
export const PROOF_TOKEN = 'access-token-1';

/** Expectations for a GET of `PROOF_URL` with `PROOF_TOKEN`; `over` replaces any part. */
export function proofExpectations(
  over: Partial<DpopProofExpectations> = {},
): DpopProofExpectations {
  return {
    method: 'GET',
    htus: [PROOF_URL],
    accessToken: PROOF_TOKEN,
    algorithms: ASYMMETRIC_ALGORITHMS,
    maxAgeSec: 60,
    clockToleranceSec: 5,
    nowSec: Math.floor(Date.now() / 1000),
    ...over,
  };
}
