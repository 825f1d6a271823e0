/**
 * Validates an RFC 7662 §2.2 answer instead of trusting it. A 200 answer that is a JSON object
 * with a boolean `active` is a verdict on that one token, whatever its other members look like:
 * `active:false`, a contract claim of the wrong type, an expired, not-yet-valid or future-issued
 * token, or an audience that is not ours are all `invalid` (401, negative-cached). Only a body
 * that is not such an object (no boolean `active`) is an upstream fault (503): one token must
 * never be able to look like an outage, or it could open the breaker for everyone.
 */
import { type RefusalReason, UpstreamUnavailableError } from '../errors.js';
import type { TokenClaims } from '../types.js';

export type IntrospectionVerdict =
  | { readonly kind: 'valid'; readonly claims: TokenClaims }
  | { readonly kind: 'invalid'; readonly reason: RefusalReason };

/** How an answer is judged beyond its shape. */
export interface IntrospectionChecks {
  readonly clockToleranceSec: number;
  /**
   * Accepted audiences: an answer that carries `aud` must name one of them (RFC 7662 §2.2,
   * RFC 7519 §4.1.3). `undefined`: not checked.
   */
  readonly audience?: readonly string[];
  /** Refuse answers without `aud` (only with `audience`). */
  readonly requireAudience?: boolean;
}

/** Contract claims that must be strings; `brand` is handled apart (see below). */
const STRING_CLAIMS = ['sub', 'client_id', 'scope', 'token_type', 'iss', 'username', 'jti'];
const NUMERIC_CLAIMS = ['exp', 'iat', 'nbf'];

/**
 * @example
 * parseIntrospectionResponse({ active: true, sub: 'u1', exp: 1900000000 }, { clockToleranceSec: 5 });
 * // { kind: 'valid', claims: { active: true, sub: 'u1', exp: 1900000000 } }
 */
export function parseIntrospectionResponse(
  body: Record<string, unknown>,
  checks: IntrospectionChecks,
  nowSec: number = Date.now() / 1000,
): IntrospectionVerdict {
  const active = body.active;
  if (typeof active !== 'boolean') {
    throw new UpstreamUnavailableError({
      message: 'introspection answer malformed: `active` is not a boolean',
    });
  }
  if (!active) return { kind: 'invalid', reason: 'token_inactive' };

  for (const name of STRING_CLAIMS) {
    const value = body[name];
    if (value !== undefined && typeof value !== 'string') return invalid('claim_invalid');
  }
  for (const name of NUMERIC_CLAIMS) {
    const value = body[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      return invalid('claim_invalid');
    }
  }
  const aud = body.aud;
  if (aud !== undefined && typeof aud !== 'string' && !isStringArray(aud)) {
    return invalid('claim_invalid');
  }

  const tolerance = checks.clockToleranceSec;
  const exp = body.exp as number | undefined;
  if (exp !== undefined && exp + tolerance <= nowSec) return invalid('token_expired');
  const nbf = body.nbf as number | undefined;
  if (nbf !== undefined && nbf - tolerance > nowSec) return invalid('token_not_yet_valid');
  // RFC 7519 §4.1.6: a token issued in the future comes from a broken or forged issuer clock.
  const iat = body.iat as number | undefined;
  if (iat !== undefined && iat - tolerance > nowSec) return invalid('token_issued_in_future');

  if (checks.audience !== undefined) {
    if (aud === undefined) {
      if (checks.requireAudience === true) return invalid('claim_missing');
    } else {
      const audiences = typeof aud === 'string' ? [aud] : aud;
      if (!audiences.some((value) => checks.audience?.includes(value))) {
        return invalid('audience_mismatch');
      }
    }
  }
  // A bound token (`cnf`, RFC 7800) is valid here: whether the request proves
  // possession (RFC 9449, RFC 8705) is checked per request, never cached.

  // A `brand` that is not a string cannot satisfy a brand requirement: it is dropped, so a
  // route requiring a brand answers 403 while routes without one still serve the token.
  if (body.brand !== undefined && typeof body.brand !== 'string') {
    const { brand: _brand, ...claims } = body;
    return { kind: 'valid', claims: claims as TokenClaims };
  }
  return { kind: 'valid', claims: body as TokenClaims };
}

function invalid(reason: RefusalReason): IntrospectionVerdict {
  return { kind: 'invalid', reason };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}
