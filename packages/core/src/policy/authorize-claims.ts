/**
 * Route and guard requirements, always checked against the validated token's own claims:
 * nothing in the request can supply or override a scope or a brand.
 */
import {
  AccessDeniedError,
  InsufficientScopeError,
  InvalidBrandError,
  InvalidTokenError,
  ServerError,
} from '../errors.js';
import { checkAuthContext } from '../step-up/check-auth-context.js';
import type { AuthContext, BrandRequirement, RequestLike } from '../types.js';
import type { NormalizedRequirements } from './normalize-requirements.js';

/**
 * Checks `requirements` against the token, in one order wherever they are set (guard-wide,
 * per route, or both at once: each step for every set before the next step), so every 401
 * (authenticate again) comes before any 403 (this token will never do):
 *
 * 1. sender constraint — a route that requires DPoP, or refuses it (RFC 9449);
 * 2. step-up — `acr` / `auth_time` (RFC 9470: 401 `insufficient_user_authentication`);
 * 3. scopes — all of `scopes`, then one of `anyScope` (403 `insufficient_scope`);
 * 4. brand — the token's own `brand` claim (403 `invalid_brand`);
 * 5. predicate — the app's own check (403 `access_denied`).
 *
 * A throwing predicate or brand function is our bug, answered 500 (fail closed). `realm`
 * goes into the challenge of every refusal.
 *
 * @example
 * await authorizeClaims(auth, normalizeRequirements({ anyScope: ['a', 'b'] }), request);
 * await authorizeClaims(auth, [guardWide, route], request); // one order over both
 */
export async function authorizeClaims(
  auth: AuthContext,
  requirements: NormalizedRequirements | readonly NormalizedRequirements[],
  request: RequestLike,
  realm?: string,
): Promise<void> {
  const sets = isList(requirements) ? requirements : [requirements];
  for (const set of sets) checkSenderConstraint(auth, set, realm);
  for (const { authContext } of sets) {
    if (authContext !== undefined) checkAuthContext(auth.claims, authContext, realm);
  }
  for (const { scopes, anyScope } of sets) {
    if (scopes !== undefined && !scopes.every((s) => auth.scopes.includes(s))) {
      throw new InsufficientScopeError(scopes, { realm });
    }
    if (anyScope !== undefined && !anyScope.some((s) => auth.scopes.includes(s))) {
      throw new InsufficientScopeError(anyScope, { realm });
    }
  }
  for (const { brand } of sets) {
    if (brand !== undefined) checkBrand(auth, brand, request, realm);
  }
  for (const { predicate } of sets) {
    if (predicate === undefined) continue;
    let allowed: boolean;
    try {
      allowed = await predicate(auth, request);
    } catch (cause) {
      throw new ServerError({ message: 'the claims predicate threw', cause });
    }
    if (allowed !== true) throw new AccessDeniedError({ realm });
  }
}

function isList(
  requirements: NormalizedRequirements | readonly NormalizedRequirements[],
): requirements is readonly NormalizedRequirements[] {
  return Array.isArray(requirements);
}

/** RFC 9449 per route: a route may insist on DPoP, or refuse it. */
function checkSenderConstraint(
  auth: AuthContext,
  requirements: NormalizedRequirements,
  realm: string | undefined,
): void {
  if (requirements.dpop === 'required' && auth.binding !== 'dpop') {
    throw new InvalidTokenError({
      message: 'this route requires a DPoP-bound token',
      reason: 'dpop_required',
      realm,
    });
  }
  if (requirements.dpop === 'disabled' && auth.binding === 'dpop') {
    throw new InvalidTokenError({
      message: 'this route does not accept DPoP tokens',
      reason: 'dpop_refused',
      realm,
    });
  }
}

function checkBrand(
  auth: AuthContext,
  requirement: BrandRequirement,
  request: RequestLike,
  realm: string | undefined,
): void {
  let accepted: string | readonly string[] | undefined;
  if (typeof requirement === 'function') {
    try {
      accepted = requirement(request);
    } catch (cause) {
      throw new ServerError({ message: 'the brand function threw', cause });
    }
  } else {
    accepted = requirement;
  }
  const brand = auth.claims.brand;
  // Fail closed: a request whose brand cannot be determined accepts no token.
  const ok =
    typeof brand === 'string' &&
    (typeof accepted === 'string'
      ? brand === accepted
      : Array.isArray(accepted) && accepted.includes(brand));
  if (!ok) throw new InvalidBrandError({ message: 'token brand not accepted', realm });
}
