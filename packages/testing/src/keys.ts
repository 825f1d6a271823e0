import { generateKeyPair as generateNodeKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { JwkSet, JwtAlgorithm, PublicJwk } from './types.js';

const generate = promisify(generateNodeKeyPair);

/** A signing key pair with its public JWK. */
export interface SigningKey {
  alg: JwtAlgorithm;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: PublicJwk;
}

/** Every algorithm the server supports, in the order keys are generated. */
export const ALL_ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

async function generatePair(
  alg: JwtAlgorithm,
): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  switch (alg) {
    case 'RS256':
      return generate('rsa', { modulusLength: 2048 });
    case 'ES256':
      return generate('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generate('ed25519');
  }
}

/** Generate a fresh key for `alg`; the kid is the RFC 7638 thumbprint, so it is unique. */
export async function generateSigningKey(alg: JwtAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generatePair(alg);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk);
  const publicJwk = { ...jwk, kid, alg, use: 'sig' } as PublicJwk;
  return { alg, kid, privateKey, publicKey, publicJwk };
}

/** The server's signing keys: per algorithm, older keys first and the current key last. */
export class KeyRing {
  readonly #keys = new Map<JwtAlgorithm, SigningKey[]>();

  static async create(algorithms: readonly JwtAlgorithm[]): Promise<KeyRing> {
    const ring = new KeyRing();
    const keys = await Promise.all(algorithms.map(generateSigningKey));
    for (const key of keys) ring.#keys.set(key.alg, [key]);
    return ring;
  }

  get algorithms(): JwtAlgorithm[] {
    return [...this.#keys.keys()];
  }

  /** The key new tokens are signed with; throws when `alg` was not configured. */
  current(alg: JwtAlgorithm): SigningKey {
    const list = this.#keys.get(alg);
    const key = list?.[list.length - 1];
    if (!key) {
      throw new TypeError(`no ${alg} key: the server was started without ${alg} in jwtAlgorithms`);
    }
    return key;
  }

  /** Add a new current key per algorithm, keeping the old ones in the JWKS. */
  async rotate(): Promise<void> {
    const fresh = await Promise.all(this.algorithms.map(generateSigningKey));
    for (const key of fresh) this.#keys.get(key.alg)!.push(key);
  }

  /** Keep only the current key of each algorithm. */
  retireOld(): void {
    for (const [alg, list] of this.#keys) this.#keys.set(alg, list.slice(-1));
  }

  jwks(): JwkSet {
    const keys: PublicJwk[] = [];
    for (const list of this.#keys.values()) for (const key of list) keys.push({ ...key.publicJwk });
    return { keys };
  }
}
