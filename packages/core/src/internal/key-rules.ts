/**
 * The key rules of JWS (RFC 7518), in one place for the keys we verify with (static keys,
 * JWKS) and the keys we sign client assertions with.
 */
import type { AsymmetricAlgorithm } from './asymmetric-algorithms.js';

/** RFC 7518 §3.3 / §3.5: RSA keys for RS* and PS* are at least 2048 bits. */
export const MIN_RSA_BITS = 2048;

/**
 * Largest RSA modulus accepted from a remote key set, in bits. RSA verification cost grows
 * with the square of the modulus: a 16,384-bit key costs ~1.6 ms of CPU per forged token,
 * 4096 bits ~0.1 ms, 2048 bits ~0.03 ms.
 */
export const MAX_RSA_BITS = 4096;

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

/**
 * True for a JWK RSA modulus (`n`, base64url) longer than `MAX_RSA_BITS`. Leading zero
 * octets do not count (RFC 7518 §6.3.1.1 forbids them; a padded key is no longer for it).
 */
export function isOversizedRsaModulus(n: string): boolean {
  const modulus = Buffer.from(n, 'base64url');
  let start = 0;
  while (start < modulus.length && modulus[start] === 0) start++;
  const leadingZeroBits = Math.clz32(modulus[start] ?? 0) - 24;
  return (modulus.length - start) * 8 - leadingZeroBits > MAX_RSA_BITS;
}
