/**
 * RFC 9068 §2.2: the claims a JWT access token must carry, with their types. jose checks only
 * the presence of the claims it is asked for and the types of the registered time claims; a
 * token without `sub`, `client_id`, `jti` or `iat`, or with a `sub` that is a number, would
 * otherwise pass.
 */
import type { JWTPayload } from 'jose';
import { InvalidTokenError } from '../errors.js';

/** RFC 9068 §2.2's required claims, the default `jwt.requiredClaims` with the profile on. */
export const RFC9068_REQUIRED_CLAIMS: readonly string[] = Object.freeze([
  'iss',
  'exp',
  'aud',
  'sub',
  'client_id',
  'iat',
  'jti',
]);

const isString = (value: unknown) => typeof value === 'string' && value !== '';
const isTime = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

/** The type each registered claim must have (RFC 7519 §4.1, RFC 9068 §2.2, RFC 8693 §4.3). */
const CLAIM_TYPES: ReadonlyArray<readonly [string, (value: unknown) => boolean]> = Object.entries({
  iss: isString,
  sub: isString,
  client_id: isString,
  jti: isString,
  exp: isTime,
  iat: isTime,
  nbf: isTime,
  aud: (value) =>
    isString(value) || (Array.isArray(value) && value.length > 0 && value.every(isString)),
} satisfies Record<string, (value: unknown) => boolean>);

/**
 * Throws `InvalidTokenError` (`claim_missing` / `claim_invalid`) unless every claim in
 * `required` is present and, for the registered claims above, of its type. A registered claim
 * that is present but not required must still have its type.
 *
 * @example
 * checkRequiredClaims(payload, RFC9068_REQUIRED_CLAIMS);
 */
export function checkRequiredClaims(payload: JWTPayload, required: readonly string[]): void {
  for (const name of required) {
    if (payload[name] === undefined) {
      throw new InvalidTokenError({ message: `jwt: ${name} missing`, reason: 'claim_missing' });
    }
  }
  for (const [name, isValid] of CLAIM_TYPES) {
    const value = payload[name];
    if (value !== undefined && !isValid(value)) {
      throw new InvalidTokenError({ message: `jwt: ${name} invalid`, reason: 'claim_invalid' });
    }
  }
}
