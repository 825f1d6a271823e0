/**
 * Checks a `private_key_jwt` signing key and its JWS algorithm once, synchronously, so that
 * a wrong key is a configuration error at construction and never a 500 on the first request.
 * RFC 7523 §3 leaves the algorithm to the deployment; we accept only asymmetric ones
 * (an HMAC "assertion" would be `client_secret_jwt`, a different method).
 */
import { createPrivateKey, KeyObject, type webcrypto } from 'node:crypto';
import {
  ASYMMETRIC_ALGORITHMS,
  type AsymmetricAlgorithm,
} from '../internal/asymmetric-algorithms.js';
import {
  CURVE_OF_NODE_CURVE,
  ECDSA_ALGORITHM_OF_CURVE,
  isShortRsaKey,
  MIN_RSA_BITS,
} from '../internal/key-rules.js';

type CryptoKey = webcrypto.CryptoKey;

/** JWS algorithms a client assertion may be signed with: the asymmetric ones. */
export const ASSERTION_ALGORITHMS = ASYMMETRIC_ALGORITHMS;

export type AssertionAlgorithm = AsymmetricAlgorithm;

/** A checked key: what jose signs with, and the algorithm it signs for. */
export interface SigningKey {
  readonly key: KeyObject | CryptoKey;
  readonly alg: AssertionAlgorithm;
}

/**
 * Why a key was refused. `field` is the option that is wrong; `expected` is safe to show:
 * it describes the key's type, never its material.
 */
export class SigningKeyProblem extends Error {
  readonly field: 'privateKey' | 'alg';
  readonly expected: string;
  constructor(field: 'privateKey' | 'alg', expected: string) {
    super(`${field} ${expected}`);
    this.name = 'SigningKeyProblem';
    this.field = field;
    this.expected = expected;
  }
}

const KEY_FORMS =
  'must be a PEM private key (PKCS#8, PKCS#1 or SEC1), a private JWK, a KeyObject or a CryptoKey';

function isAssertionAlgorithm(value: unknown): value is AssertionAlgorithm {
  return typeof value === 'string' && (ASSERTION_ALGORITHMS as readonly string[]).includes(value);
}

function isCryptoKey(value: unknown): value is CryptoKey {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'CryptoKey'
  );
}

/**
 * Checks `privateKey` (PEM string, private JWK object, `KeyObject` or `CryptoKey`) and `alg`
 * (optional: inferred from the key — RS256 for RSA, ES256/384/512 from the EC curve, EdDSA
 * for Ed25519, or the JWK's own `alg`). Returns the key as a `KeyObject` (or the given
 * `CryptoKey`) and the algorithm. Throws `SigningKeyProblem`; the key material never
 * appears in it.
 */
export function checkSigningKey(privateKey: unknown, alg: unknown): SigningKey {
  if (alg !== undefined && !isAssertionAlgorithm(alg)) {
    throw new SigningKeyProblem(
      'alg',
      `must be one of ${ASSERTION_ALGORITHMS.join(', ')} (private_key_jwt needs an asymmetric algorithm)`,
    );
  }
  if (isCryptoKey(privateKey)) return checkCryptoKey(privateKey, alg);
  let keyObject: KeyObject;
  let jwkAlg: unknown;
  if (privateKey instanceof KeyObject) {
    keyObject = privateKey;
  } else if (typeof privateKey === 'string' && privateKey !== '') {
    keyObject = parse(() => createPrivateKey(privateKey));
  } else if (typeof privateKey === 'object' && privateKey !== null && !Array.isArray(privateKey)) {
    const jwk = privateKey as Record<string, unknown>;
    if (typeof jwk.d !== 'string')
      throw new SigningKeyProblem('privateKey', 'must be a private JWK (with `d`)');
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      throw new SigningKeyProblem(
        'privateKey',
        "must be a signing JWK (its `use` must be 'sig' when present)",
      );
    }
    jwkAlg = jwk.alg;
    if (jwkAlg !== undefined && !isAssertionAlgorithm(jwkAlg)) {
      throw new SigningKeyProblem(
        'privateKey',
        `must be a JWK whose \`alg\` is one of ${ASSERTION_ALGORITHMS.join(', ')}`,
      );
    }
    if (alg !== undefined && jwkAlg !== undefined && alg !== jwkAlg) {
      throw new SigningKeyProblem('alg', "must equal the JWK's own `alg` when both are set");
    }
    keyObject = parse(() =>
      createPrivateKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }),
    );
  } else {
    throw new SigningKeyProblem('privateKey', KEY_FORMS);
  }
  if (keyObject.type !== 'private')
    throw new SigningKeyProblem('privateKey', 'must be a private key, not a public or secret one');
  return checkKeyObject(keyObject, (alg ?? jwkAlg) as AssertionAlgorithm | undefined);
}

function parse(make: () => KeyObject): KeyObject {
  try {
    return make();
  } catch {
    // Node's parse errors say nothing about the key, but we add no cause on principle:
    // the error is about to become a configuration error that users print.
    throw new SigningKeyProblem('privateKey', `${KEY_FORMS} (unencrypted; it could not be parsed)`);
  }
}

function checkKeyObject(key: KeyObject, alg: AssertionAlgorithm | undefined): SigningKey {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa') {
    // RFC 7518 §3.3 / §3.5: RSA keys of at least 2048 bits (jose enforces it too, at sign time).
    if (isShortRsaKey(details.modulusLength ?? 0)) {
      throw new SigningKeyProblem(
        'privateKey',
        `must be an RSA key of at least ${MIN_RSA_BITS} bits`,
      );
    }
    const chosen = alg ?? 'RS256';
    if (!chosen.startsWith('RS') && !chosen.startsWith('PS')) throw mismatch('an RSA', chosen);
    return { key, alg: chosen };
  }
  if (type === 'ec') {
    const curve = CURVE_OF_NODE_CURVE[details.namedCurve ?? ''];
    const curveAlg = curve === undefined ? undefined : ECDSA_ALGORITHM_OF_CURVE[curve];
    if (curve === undefined || curveAlg === undefined) {
      throw new SigningKeyProblem('privateKey', 'must be an EC key on P-256, P-384 or P-521');
    }
    const chosen = alg ?? curveAlg;
    if (chosen !== curveAlg) throw mismatch(`an EC ${curve}`, chosen);
    return { key, alg: chosen };
  }
  if (type === 'ed25519') {
    const chosen = alg ?? 'EdDSA';
    if (chosen !== 'EdDSA' && chosen !== 'Ed25519') throw mismatch('an Ed25519', chosen);
    return { key, alg: chosen };
  }
  throw new SigningKeyProblem(
    'privateKey',
    `must be an RSA, EC (P-256/384/521) or Ed25519 key, not ${type === 'rsa-pss' ? 'an RSA-PSS-restricted key (use a plain RSA key for PS*)' : `a ${type ?? 'unknown'} key`}`,
  );
}

function checkCryptoKey(key: CryptoKey, alg: AssertionAlgorithm | undefined): SigningKey {
  if (key.type !== 'private' || !key.usages.includes('sign')) {
    throw new SigningKeyProblem('privateKey', "must be a private CryptoKey with the 'sign' usage");
  }
  // A CryptoKey is bound to one algorithm and hash at import time (WebCrypto), so the JWS
  // algorithm is fixed by the key: infer it, and refuse any other.
  const algorithm = key.algorithm as {
    name: string;
    hash?: { name?: string };
    namedCurve?: string;
    modulusLength?: number;
  };
  const bits = algorithm.hash?.name?.replace('SHA-', '');
  let fitting: AssertionAlgorithm | undefined;
  if (algorithm.name === 'RSASSA-PKCS1-v1_5' && bits !== undefined)
    fitting = `RS${bits}` as AssertionAlgorithm;
  else if (algorithm.name === 'RSA-PSS' && bits !== undefined)
    fitting = `PS${bits}` as AssertionAlgorithm;
  else if (algorithm.name === 'ECDSA')
    fitting = ECDSA_ALGORITHM_OF_CURVE[algorithm.namedCurve ?? ''];
  else if (algorithm.name === 'Ed25519') fitting = 'EdDSA';
  if (fitting === undefined || !isAssertionAlgorithm(fitting)) {
    throw new SigningKeyProblem(
      'privateKey',
      'must be a CryptoKey for RSASSA-PKCS1-v1_5, RSA-PSS (SHA-256/384/512), ECDSA (P-256/384/521) or Ed25519',
    );
  }
  if (isShortRsaKey(algorithm.modulusLength)) {
    throw new SigningKeyProblem(
      'privateKey',
      `must be an RSA key of at least ${MIN_RSA_BITS} bits`,
    );
  }
  const chosen = alg ?? fitting;
  const ok = chosen === fitting || (fitting === 'EdDSA' && chosen === 'Ed25519');
  if (!ok) throw mismatch(`a CryptoKey bound to ${fitting}`, chosen);
  return { key, alg: chosen };
}

function mismatch(keyKind: string, alg: string): SigningKeyProblem {
  return new SigningKeyProblem(
    'alg',
    `must fit the key: ${alg} cannot be used with ${keyKind} key`,
  );
}
