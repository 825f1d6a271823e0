/**
 * The key of a DPoP proof (RFC 9449 §4.2: the public key in the `jwk` header), read once per
 * distinct protected header: a client signs every proof with one key, so its proofs share one
 * header and the header's checks, RFC 7638 thumbprint and imported key are worked out once.
 * The key is imported for the signature path verify-jwt.ts chose: a node:crypto `KeyObject`,
 * or a WebCrypto `CryptoKey` where node:crypto cannot verify; both from the same members,
 * both refusing an RSA modulus under 2048 bits.
 */
import { createPublicKey, hash, type KeyObject, type webcrypto } from 'node:crypto';
import {
  ECDSA_ALGORITHM_OF_CURVE,
  isOversizedRsaModulus,
  MAX_RSA_BITS,
  MIN_RSA_BITS,
} from '../internal/key-rules.js';
import { isBase64Url } from '../jwt/is-base64url.js';
import { jwsImportAlgorithm } from '../jwt/verify-jwt.js';

type CryptoKey = webcrypto.CryptoKey;

/** A proof header that passed every header check, with its key's thumbprint. */
export interface DpopProofKey {
  /** The header's `alg`, checked against the key's type (RFC 7518 §3.1). */
  readonly alg: string;
  /** RFC 7638 SHA-256 thumbprint of the `jwk` (what `cnf.jkt` names, RFC 9449 §6.1). */
  readonly jkt: string;
  /** The public key for node:crypto, imported on first use (`undefined` until then). */
  key: KeyObject | undefined;
  /** The public key for WebCrypto, imported on first use where node:crypto cannot verify. */
  cryptoKey: Promise<CryptoKey> | undefined;
  /** The members the thumbprint covers: the key material imported, nothing else. */
  readonly members: Readonly<Record<string, string>>;
}

/** Why a header is refused: the caller turns it into `invalid_dpop_proof`. */
export class DpopHeaderError extends Error {}

// Members of private (or symmetric) JWKs (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

/** RFC 7638 §3.2: the required members of each key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checked headers by their encoded form. Bounded and cleared when full: a header is not a
 * credential (anyone can send one), and a flood of distinct headers only costs their parse.
 */
const checkedHeaders = new Map<string, DpopProofKey>();
const MAX_CHECKED_HEADERS = 256;

/**
 * The checked key of a proof's encoded protected header. Throws `DpopHeaderError` unless:
 * `typ` is `dpop+jwt` and no `crit` is present (RFC 9449 §4.3 checks 4–5; no extension is
 * understood for a proof, RFC 7515 §4.1.11); `jwk` is a public key (check 6: no private
 * member) of the type `alg` needs, with `use`/`alg`/`key_ops` allowing it to verify
 * (RFC 7517 §4.2–4.4); an RSA modulus is 2048 to 4096 bits (RFC 7518 §3.3; larger keys make
 * every proof costly to verify). The allow-list of `alg` is the caller's (per guard).
 */
export function dpopProofKey(encodedHeader: string): DpopProofKey {
  let checked = checkedHeaders.get(encodedHeader);
  if (checked === undefined) {
    checked = checkHeader(parseHeader(encodedHeader));
    if (checkedHeaders.size >= MAX_CHECKED_HEADERS) checkedHeaders.clear();
    checkedHeaders.set(encodedHeader, checked);
  }
  return checked;
}

/**
 * The node:crypto key of a checked header, imported from exactly the thumbprint's members
 * the first time a proof with it reaches the signature check.
 */
export function importDpopProofKey(checked: DpopProofKey): KeyObject {
  if (checked.key === undefined) {
    try {
      checked.key = createPublicKey({ key: checked.members, format: 'jwk' });
    } catch {
      throw new DpopHeaderError('the DPoP proof jwk is not a usable public key');
    }
    const details = checked.key.asymmetricKeyDetails;
    if (checked.members.kty === 'RSA' && (details?.modulusLength ?? 0) < MIN_RSA_BITS) {
      checked.key = undefined;
      throw new DpopHeaderError(`the DPoP proof RSA key is under ${MIN_RSA_BITS} bits`);
    }
  }
  return checked.key;
}

/**
 * `importDpopProofKey` for WebCrypto: the same members, imported for the header's `alg` only
 * (RFC 8725 §3.1), rejecting with `DpopHeaderError` where node:crypto's import throws. A
 * refused key is not kept, as on the node:crypto path.
 */
export function importDpopProofCryptoKey(checked: DpopProofKey): Promise<CryptoKey> {
  if (checked.cryptoKey === undefined) {
    checked.cryptoKey = importCryptoKey(checked).catch((error: unknown) => {
      checked.cryptoKey = undefined;
      throw error;
    });
  }
  return checked.cryptoKey;
}

async function importCryptoKey(checked: DpopProofKey): Promise<CryptoKey> {
  const algorithm = jwsImportAlgorithm(checked.alg);
  let key: CryptoKey;
  try {
    if (algorithm === undefined) throw new Error('no rule for this alg');
    key = await globalThis.crypto.subtle.importKey('jwk', checked.members, algorithm, false, [
      'verify',
    ]);
  } catch {
    throw new DpopHeaderError('the DPoP proof jwk is not a usable public key');
  }
  const bits = (key.algorithm as { modulusLength?: unknown }).modulusLength;
  if (checked.members.kty === 'RSA' && (typeof bits !== 'number' || bits < MIN_RSA_BITS)) {
    throw new DpopHeaderError(`the DPoP proof RSA key is under ${MIN_RSA_BITS} bits`);
  }
  return key;
}

function parseHeader(encoded: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    if (!isBase64Url(encoded)) throw new Error('not base64url');
    parsed = JSON.parse(strictUtf8.decode(Buffer.from(encoded, 'base64url')));
  } catch {
    throw new DpopHeaderError('the DPoP proof is not a JWS');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DpopHeaderError('the DPoP proof is not a JWS');
  }
  return parsed as Record<string, unknown>;
}

function checkHeader(header: Record<string, unknown>): DpopProofKey {
  if (header.typ !== 'dpop+jwt') throw new DpopHeaderError('the DPoP proof typ is not dpop+jwt');
  if (header.crit !== undefined) {
    throw new DpopHeaderError('the DPoP proof has a crit header');
  }
  const alg = header.alg;
  if (typeof alg !== 'string') throw new DpopHeaderError('the DPoP proof alg is not allowed');
  const jwk = header.jwk;
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw new DpopHeaderError('the DPoP proof has no jwk header');
  }
  const key = jwk as Record<string, unknown>;
  // §4.3 check 6: "does not contain a private key": any private member is refused outright.
  for (const member of PRIVATE_MEMBERS) {
    if (Object.hasOwn(key, member)) {
      throw new DpopHeaderError('the DPoP proof jwk contains private key material');
    }
  }
  if (key.use !== undefined && key.use !== 'sig') {
    throw new DpopHeaderError('the DPoP proof jwk is not a signing key');
  }
  if (key.alg !== undefined && key.alg !== alg) {
    throw new DpopHeaderError('the DPoP proof jwk is for another alg');
  }
  if (
    key.key_ops !== undefined &&
    !(Array.isArray(key.key_ops) && key.key_ops.includes('verify'))
  ) {
    throw new DpopHeaderError('the DPoP proof jwk may not verify');
  }
  if (!keyFitsAlgorithm(key, alg)) {
    throw new DpopHeaderError('the DPoP proof jwk does not fit its alg');
  }
  if (key.kty === 'RSA' && isOversizedRsaModulus(key.n as string)) {
    throw new DpopHeaderError(`the DPoP proof RSA key is over ${MAX_RSA_BITS} bits`);
  }
  const names = THUMBPRINT_MEMBERS[key.kty as string] as readonly string[];
  const members: Record<string, string> = {};
  for (const name of names) {
    const value = key[name];
    if (typeof value !== 'string' || value === '') {
      throw new DpopHeaderError('the DPoP proof jwk is incomplete');
    }
    members[name] = value;
  }
  // RFC 7638 §3: the required members, lexicographic order, no whitespace, then SHA-256.
  const jkt = hash('sha256', JSON.stringify(members), 'base64url');
  return { alg, jkt, key: undefined, cryptoKey: undefined, members: Object.freeze(members) };
}

/** RFC 7518 §3.3–3.5, RFC 8037 §3.1: the key type (and curve) each algorithm needs. */
function keyFitsAlgorithm(key: Record<string, unknown>, alg: string): boolean {
  switch (key.kty) {
    case 'EC':
      return typeof key.crv === 'string' && ECDSA_ALGORITHM_OF_CURVE[key.crv] === alg;
    case 'RSA':
      return /^(RS|PS)(256|384|512)$/.test(alg) && typeof key.n === 'string';
    case 'OKP':
      return key.crv === 'Ed25519' && (alg === 'EdDSA' || alg === 'Ed25519');
    default:
      return false;
  }
}
