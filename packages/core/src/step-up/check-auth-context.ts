import { InsufficientUserAuthenticationError } from '../errors.js';
import type { AuthContextRequirement, TokenClaims } from '../types.js';

/** An `auth_time` this far ahead of our clock is not a clock skew, and is refused. */
const FUTURE_TOLERANCE_SEC = 300;

/**
 * RFC 9470 §3: refuses (401 `insufficient_user_authentication`) a token whose `acr` is not
 * one of the accepted values, or whose `auth_time` is missing or older than `maxAgeSec`.
 * The claims come from the validated token only (a JWT's payload or the introspection
 * answer, RFC 9470 §6); nothing in the request can supply them.
 */
export function checkAuthContext(
  claims: TokenClaims,
  required: AuthContextRequirement,
  realm?: string,
  nowSec: number = Date.now() / 1000,
): void {
  if (required.acr !== undefined) {
    const acr = claims.acr;
    if (typeof acr !== 'string' || !required.acr.includes(acr)) {
      throw new InsufficientUserAuthenticationError(required, {
        message: 'acr not accepted',
        realm,
      });
    }
  }
  if (required.maxAgeSec !== undefined) {
    const authTime = claims.auth_time;
    const age = typeof authTime === 'number' && Number.isFinite(authTime) ? nowSec - authTime : NaN;
    // A missing or nonsensical auth_time cannot show a recent authentication: fail closed.
    if (!(age <= required.maxAgeSec && age >= -FUTURE_TOLERANCE_SEC)) {
      throw new InsufficientUserAuthenticationError(required, {
        message: 'auth_time missing or too old',
        realm,
      });
    }
  }
}
