/**
 * The key rules of JWS (RFC 7518), in one place for the keys we verify with (static keys,
 * JWKS) and the keys we sign client assertions with.
 */
import type { AsymmetricAlgorithm } from './asymmetric-algorithms.js';

/** RFC 7518 §3.3 / §3.5: RSA keys for RS* and PS* are at least 2048 bits. */
export const MIN_RSA_BITS = 2048;

/** RFC 7518 §3.4: the curve fixes the ECDSA algorithm (JWK and WebCrypto curve names). */
export const ECDSA_ALGORITHM_OF_CURVE: Readonly<Record<string, AsymmetricAlgorithm>> =
  Object.freeze({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' });

/** Node's `namedCurve` names of the same curves. */
export const CURVE_OF_NODE_CURVE: Readonly<Record<string, string>> = Object.freeze({
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
});

/** True for an RSA modulus shorter than RFC 7518 allows (unknown sizes are left to jose). */
export function isShortRsaKey(modulusLength: number | undefined): boolean {
  return modulusLength !== undefined && modulusLength < MIN_RSA_BITS;
}
