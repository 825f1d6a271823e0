/**
 * DPoP (RFC 9449) for tests: a client key, good proofs, and proofs wrong in exactly one
 * way, so a resource server that accepts one has the named hole. Bind a token to the key
 * by minting it with `dpopBinding(key)`'s claims.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { base64url, calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { signJws } from './mint-jwt.js';

/** A DPoP client key: signs proofs; `jkt` is its RFC 7638 thumbprint (the token's `cnf.jkt`). */
export interface DpopKey {
  readonly alg: 'ES256' | 'RS256' | 'EdDSA';
  readonly privateKey: KeyObject;
  readonly publicJwk: JWK;
  readonly jkt: string;
}

/** What a proof is for: the request it goes with, and the access token it travels with. */
export interface DpopProofOptions {
  /** The request method (`htm`). */
  readonly method: string;
  /** The request URI (`htu`); query and fragment are dropped, as RFC 9449 §4.2 says. */
  readonly url: string;
  /** The access token (`ath`); leave out for a proof sent to a token endpoint. */
  readonly accessToken?: string;
  /** A server-provided nonce (`DPoP-Nonce`). */
  readonly nonce?: string;
  /** Issued-at, seconds since the epoch. Default: now. */
  readonly iat?: number;
  /** Default: a random UUID. Reuse a proof to test replay. */
  readonly jti?: string;
}

/** The ways `createBadDpopProof` gets a proof wrong. */
export type BadDpopProofKind =
  | 'wrong-htm'
  | 'wrong-htu'
  | 'stale-iat'
  | 'future-iat'
  | 'wrong-ath'
  | 'no-ath'
  | 'no-jti'
  | 'other-key'
  | 'private-key-embedded'
  | 'alg-none'
  | 'hs256'
  | 'wrong-typ'
  | 'bad-signature';

export async function createDpopKey(alg: DpopKey['alg'] = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'RS256'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : generateKeyPairSync('ed25519');
  const publicJwk = await exportJWK(publicKey);
  return { alg, privateKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

/**
 * Claims that bind a minted token to `key` (RFC 9449 §6): pass them to `mintToken` or
 * `mintJwt`, e.g. `idp.mintJwt({ scope: 'read', ...dpopBinding(key) })`.
 */
export function dpopBinding(key: Pick<DpopKey, 'jkt'>): {
  token_type: 'DPoP';
  extra: { cnf: { jkt: string } };
} {
  return { token_type: 'DPoP', extra: { cnf: { jkt: key.jkt } } };
}

/** `ath`: base64url SHA-256 of the access token (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

function proofPayload(options: DpopProofOptions): Record<string, unknown> {
  const url = new URL(options.url);
  const payload: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.method,
    htu: `${url.origin}${url.pathname}`,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  };
  if (options.accessToken !== undefined) payload.ath = accessTokenHash(options.accessToken);
  if (options.nonce !== undefined) payload.nonce = options.nonce;
  return payload;
}

/** A valid DPoP proof JWT for one request. */
export function createDpopProof(key: DpopKey, options: DpopProofOptions): Promise<string> {
  return signJws(
    { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk },
    proofPayload(options),
    key.privateKey,
  );
}

/** A proof right in every way but the one `kind` names. */
export async function createBadDpopProof(
  key: DpopKey,
  kind: BadDpopProofKind,
  options: DpopProofOptions,
): Promise<string> {
  const header: Record<string, unknown> = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk };
  const payload = proofPayload(options);
  const now = Math.floor(Date.now() / 1000);
  switch (kind) {
    case 'wrong-htm':
      payload.htm = options.method === 'POST' ? 'GET' : 'POST';
      break;
    case 'wrong-htu':
      payload.htu = `${new URL(options.url).origin}/somewhere-else`;
      break;
    case 'stale-iat':
      payload.iat = now - 3600;
      break;
    case 'future-iat':
      payload.iat = now + 3600;
      break;
    case 'wrong-ath':
      payload.ath = accessTokenHash(`${options.accessToken ?? ''}-other`);
      break;
    case 'no-ath':
      delete payload.ath;
      break;
    case 'no-jti':
      delete payload.jti;
      break;
    case 'other-key': {
      // Correctly signed, by a key the token is not bound to.
      const other = await createDpopKey(key.alg);
      return signJws({ ...header, jwk: other.publicJwk }, payload, other.privateKey);
    }
    case 'private-key-embedded': {
      // RFC 9449 §4.3 check 6: the header must never carry private key material.
      const privateJwk = await exportJWK(key.privateKey);
      return signJws({ ...header, jwk: privateJwk }, payload, key.privateKey);
    }
    case 'alg-none':
      return `${segment({ ...header, alg: 'none' })}.${segment(payload)}.`;
    case 'hs256': {
      // HMAC keyed with the public JWK's text: a verifier must never accept a MAC here.
      const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
      return signJws({ ...header, alg: 'HS256' }, payload, secret);
    }
    case 'wrong-typ':
      header.typ = 'JWT';
      break;
    case 'bad-signature': {
      const good = await signJws(header, payload, key.privateKey);
      const [h, p, s] = good.split('.') as [string, string, string];
      const flipped = Buffer.from(s, 'base64url');
      flipped[0] = (flipped[0] ?? 0) ^ 0xff;
      return `${h}.${p}.${flipped.toString('base64url')}`;
    }
  }
  return signJws(header, payload, key.privateKey);
}

function segment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}
