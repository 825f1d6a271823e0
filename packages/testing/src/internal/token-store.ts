import { randomBytes } from 'node:crypto';
import type { MintClaims } from '../types.js';
import { nowSec } from './http.js';

/** What the server remembers about a token it issued. */
export interface TokenRecord {
  claims: Record<string, unknown>;
  exp: number;
  nbf?: number;
  /** Set for tokens from the token endpoint: the client they authenticate as a caller. */
  issuedToClient?: string;
  revoked: boolean;
}

/** Default lifetime of minted tokens, in seconds. */
export const DEFAULT_TTL_SEC = 3600;

/** Random opaque token: 32 bytes, base64url (RFC 6750 §2.1 b64token syntax). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Resolve the expiry of minted claims: `exp` wins, then `expiresInSec`, then the default. */
export function resolveExp(claims: MintClaims, fallbackTtlSec = DEFAULT_TTL_SEC): number {
  if (typeof claims.exp === 'number') return claims.exp;
  return nowSec() + (claims.expiresInSec ?? fallbackTtlSec);
}

/** RFC 9470 §6: `acr`, `amr` and `auth_time`, as an introspection answer or JWT carries them. */
export function userAuthenticationClaims(claims: MintClaims): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (claims.acr !== undefined) out.acr = claims.acr;
  if (claims.amr !== undefined) out.amr = [...claims.amr];
  const authTime =
    claims.auth_time ??
    (claims.authenticatedSecAgo === undefined ? undefined : nowSec() - claims.authenticatedSecAgo);
  if (authTime !== undefined) out.auth_time = authTime;
  return out;
}

/** Build the contract-shaped claims of an introspection answer from minted claims. */
export function recordClaims(claims: MintClaims, exp: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    sub: claims.sub ?? 'user-1',
    client_id: claims.client_id ?? 'client-1',
  };
  if (claims.scope !== undefined) out.scope = claims.scope;
  out.exp = exp;
  if (claims.nbf !== undefined) out.nbf = claims.nbf;
  if (claims.brand !== undefined) out.brand = claims.brand;
  out.token_type = claims.token_type ?? 'Bearer';
  Object.assign(out, userAuthenticationClaims(claims));
  return { ...out, ...claims.extra };
}

/** Issued tokens by their exact string, plus revocations. */
export class TokenStore {
  readonly #records = new Map<string, TokenRecord>();

  add(token: string, record: Omit<TokenRecord, 'revoked'>): void {
    this.#records.set(token, { ...record, revoked: false });
  }

  revoke(token: string): void {
    const record = this.#records.get(token);
    if (record) record.revoked = true;
  }

  /** The record of a token that is known, unrevoked, not expired and already valid. */
  active(token: string): TokenRecord | undefined {
    const record = this.#records.get(token);
    if (!record || record.revoked) return undefined;
    const now = nowSec();
    if (record.exp <= now) return undefined;
    if (record.nbf !== undefined && record.nbf > now) return undefined;
    return record;
  }
}
