/**
 * Maps a verified JWT payload onto the identity service's introspection shape, so handlers and
 * requirements never need to know which strategy validated a token.
 */
import type { JWTPayload } from 'jose';
import { InvalidTokenError } from '../errors.js';
import type { TokenClaims } from '../types.js';

/**
 * Returns the claims of a verified JWT in the introspection shape: `active: true`; `scope` from
 * the RFC 9068 §2.2.3 / RFC 8693 §4.2 `scope` string, else from an `scp` list or string (Azure
 * AD, Okta), space-joined; `client_id` from RFC 9068 §2.2 `client_id`, else OIDC's `azp`; every
 * other claim kept as is.
 *
 * Claims the guard's policy relies on (`sub`, `client_id`, `scope`, `scp`, `token_type`) must
 * have their JSON type: otherwise the token is refused (`claim_invalid`), never accepted with
 * the claim silently dropped. A `brand` of the wrong type is dropped, so a brand requirement
 * refuses the token with 403 while routes without one still serve it. The result is frozen.
 *
 * @example
 * mapJwtClaims({ sub: 'u1', scp: ['orders:read', 'orders:write'], azp: 'web' });
 * // { active: true, sub: 'u1', scope: 'orders:read orders:write', client_id: 'web', scp: [...], azp: 'web' }
 */
export function mapJwtClaims(payload: JWTPayload): TokenClaims {
  // `active` first, as in an introspection answer: a copy that then grows a property costs
  // V8 about ten times as much as one built with it (the payload's own `active` is replaced
  // below).
  const claims: Record<string, unknown> = { active: true, ...payload };
  if (!isOptionalString(payload.sub)) throw claimInvalid('sub');
  if (!isOptionalString(payload.client_id)) throw claimInvalid('client_id');
  if (!isOptionalString(payload.token_type)) throw claimInvalid('token_type');
  if (!isOptionalString(payload.azp)) throw claimInvalid('azp');
  if (claims.brand !== undefined && typeof claims.brand !== 'string') delete claims.brand;
  const scope = payload.scope === undefined ? undefined : scopeString(payload.scope);
  if (payload.scope !== undefined && scope === undefined) throw claimInvalid('scope');
  const scp = payload.scp === undefined ? undefined : scopeString(payload.scp);
  if (payload.scp !== undefined && scp === undefined) throw claimInvalid('scp');
  if (scope !== undefined) claims.scope = scope;
  else if (scp !== undefined) claims.scope = scp;
  if (claims.client_id === undefined && typeof payload.azp === 'string')
    claims.client_id = payload.azp;
  // A signed token that passed verification is active by definition (RFC 7662 §2.2's meaning);
  // an `active` claim inside the token cannot say otherwise.
  claims.active = true;
  return Object.freeze(claims) as TokenClaims;
}

function isOptionalString(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

/** A scope string from a space-separated string or a list of scope tokens (RFC 6749 §3.3). */
function scopeString(value: unknown): string | undefined {
  if (typeof value === 'string') {
    // The common case, a well-formed list, is returned as is.
    return value.includes('  ') || value.startsWith(' ') || value.endsWith(' ')
      ? value.split(' ').filter(Boolean).join(' ')
      : value;
  }
  if (
    Array.isArray(value) &&
    value.every((item) => typeof item === 'string' && !item.includes(' '))
  ) {
    return value.filter(Boolean).join(' ');
  }
  return undefined;
}

function claimInvalid(name: string): InvalidTokenError {
  return new InvalidTokenError({ message: `jwt: ${name} invalid`, reason: 'claim_invalid' });
}
