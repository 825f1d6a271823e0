/**
 * `private_key_jwt` client assertions (RFC 7523 §2.2 and §3, RFC 7521 §4.2), signed with jose.
 * A fresh assertion per call: a new `jti` each time (§3 item 7 lets the server refuse
 * replays), a short `exp`, and the endpoint being called as `aud`, so an assertion captured
 * at one endpoint is useless at another and soon useless everywhere.
 */
import { KeyObject, randomUUID, type webcrypto } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import { ServerError } from '../errors.js';
import { createSingleFlight } from '../internal/single-flight.js';
import type { PrivateKeyJwtKey } from '../options/types.js';
import {
  type AssertionAlgorithm,
  checkSigningKey,
  SigningKeyProblem,
} from './check-signing-key.js';

type CryptoKey = webcrypto.CryptoKey;

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Life of one assertion, in seconds (`exp − iat`). Short: each is made for one request. */
const ASSERTION_LIFETIME_SEC = 60;

/** Signs a new client assertion whose `aud` is `audience`. */
export type AssertionSigner = (audience: URL) => Promise<string>;

export interface AssertionSignerOptions extends PrivateKeyJwtKey {
  /** `iss` and `sub` of every assertion (RFC 7523 §3 items 1 and 2). */
  readonly clientId: string;
}

/**
 * Creates a signer for `private_key_jwt` assertions. The key is checked and imported once,
 * lazily, on the first assertion (a failed import is retried next time, not cached).
 * Each assertion: header `alg` (and `kid` when given); claims `iss` = `sub` = client id,
 * `aud` = the endpoint URL, `jti` a random UUID, `iat` now, `exp` now + 60 s.
 * Failures are `ServerError`s (our configuration is wrong: 500), naming no key material.
 */
export function createAssertionSigner(options: AssertionSignerOptions): AssertionSigner {
  const { clientId, privateKey, alg, kid } = options;
  // Imported once and kept; a failed import is not kept, so the next assertion retries.
  const imported = createSingleFlight<{ key: CryptoKey; alg: AssertionAlgorithm }>({
    keepValueMs: Number.POSITIVE_INFINITY,
  });
  const load = () => imported.run(importKey);

  async function importKey(): Promise<{ key: CryptoKey; alg: AssertionAlgorithm }> {
    let checked: ReturnType<typeof checkSigningKey>;
    try {
      checked = checkSigningKey(privateKey, alg);
    } catch (error) {
      const detail = error instanceof SigningKeyProblem ? `: ${error.field} ${error.expected}` : '';
      throw new ServerError({ message: `private_key_jwt signing key is unusable${detail}` });
    }
    if (!(checked.key instanceof KeyObject)) return { key: checked.key, alg: checked.alg };
    try {
      // One conversion to a WebCrypto key, so every later signature is a plain subtle.sign.
      const key = await importJWK(checked.key.export({ format: 'jwk' }), checked.alg);
      return { key: key as CryptoKey, alg: checked.alg };
    } catch {
      throw new ServerError({
        message: `private_key_jwt signing key could not be imported for ${checked.alg}`,
      });
    }
  }

  return async (audience) => {
    const { key, alg: algorithm } = await load();
    const now = Math.floor(Date.now() / 1000);
    try {
      return await new SignJWT({})
        .setProtectedHeader(kid === undefined ? { alg: algorithm } : { alg: algorithm, kid })
        .setIssuer(clientId)
        .setSubject(clientId)
        .setAudience(audience.href)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + ASSERTION_LIFETIME_SEC)
        .sign(key);
    } catch (cause) {
      throw new ServerError({
        message: 'private_key_jwt client assertion could not be signed',
        cause,
      });
    }
  };
}
