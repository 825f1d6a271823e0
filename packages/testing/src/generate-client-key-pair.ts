import type { KeyObject } from 'node:crypto';
import { generateSigningKey } from './keys.js';
import type { JwtAlgorithm, PublicJwk } from './types.js';

/** A client's key pair for RFC 7523 `private_key_jwt` authentication. */
export interface ClientKeyPair {
  /** Signs the client assertion (pass to jose's `SignJWT#sign`). */
  privateKey: KeyObject;
  /** Public JWK with `kid`, `alg` and `use: 'sig'`; register it as `jwks: { keys: [publicJwk] }`. */
  publicJwk: PublicJwk;
}

/**
 * Generate a key pair for `private_key_jwt` tests.
 *
 * @param alg - signing algorithm; default `'ES256'`.
 * @example
 * ```ts
 * const { privateKey, publicJwk } = await generateClientKeyPair();
 * server.registerClient({ clientId: 'rs', jwks: { keys: [publicJwk] } });
 * ```
 */
export async function generateClientKeyPair(alg: JwtAlgorithm = 'ES256'): Promise<ClientKeyPair> {
  const key = await generateSigningKey(alg);
  return { privateKey: key.privateKey, publicJwk: key.publicJwk };
}
