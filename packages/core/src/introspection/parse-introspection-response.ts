/**
 * Validates an RFC 7662 §2.2 answer instead of trusting it. `active` must be the boolean
 * `true`; the contract's fields must have the contract's types; `exp`/`nbf` are re-checked against
 * our clock. A body of the wrong shape is an upstream fault (503), never a token verdict.
 */
import { UpstreamUnavailableError } from '../errors.js';
import { isSenderConstrained } from '../token/is-sender-constrained.js';
import type { TokenClaims } from '../types.js';

export type IntrospectionVerdict =
  | { readonly kind: 'valid'; readonly claims: TokenClaims }
  | { readonly kind: 'invalid'; readonly reason: string };

const STRING_CLAIMS = [
  'sub',
  'client_id',
  'scope',
  'brand',
  'token_type',
  'iss',
  'username',
  'jti',
];
const NUMERIC_CLAIMS = ['exp', 'iat', 'nbf'];

export function parseIntrospectionResponse(
  body: Record<string, unknown>,
  clockToleranceSec: number,
  nowSec: number = Date.now() / 1000,
): IntrospectionVerdict {
  const active = body.active;
  if (typeof active !== 'boolean') {
    throw malformed('`active` is not a boolean');
  }
  if (!active) return { kind: 'invalid', reason: 'inactive' };

  for (const name of STRING_CLAIMS) {
    const value = body[name];
    if (value !== undefined && typeof value !== 'string')
      throw malformed(`\`${name}\` is not a string`);
  }
  for (const name of NUMERIC_CLAIMS) {
    const value = body[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw malformed(`\`${name}\` is not a number`);
    }
  }
  const aud = body.aud;
  if (aud !== undefined && typeof aud !== 'string' && !isStringArray(aud)) {
    throw malformed('`aud` is not a string or a list of strings');
  }

  const exp = body.exp as number | undefined;
  if (exp !== undefined && exp + clockToleranceSec <= nowSec) {
    return { kind: 'invalid', reason: 'expired' };
  }
  const nbf = body.nbf as number | undefined;
  if (nbf !== undefined && nbf - clockToleranceSec > nowSec) {
    return { kind: 'invalid', reason: 'not yet valid' };
  }
  if (isSenderConstrained(body)) {
    return { kind: 'invalid', reason: 'sender-constrained token presented as bearer' };
  }
  return { kind: 'valid', claims: body as TokenClaims };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function malformed(what: string): UpstreamUnavailableError {
  return new UpstreamUnavailableError({ message: `introspection answer malformed: ${what}` });
}
