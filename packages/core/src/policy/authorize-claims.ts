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
 * Checks `requirements` against the token. Throws 403 errors (`insufficient_scope`,
 * `invalid_brand`, `access_denied`); a throwing predicate or brand function is our bug,
 * answered 500 (fail closed). `realm` goes into the challenge of every refusal.
 *
 * @example
 * await authorizeClaims(auth, normalizeRequirements({ anyScope: ['a', 'b'] }), request);
 */
export async function authorizeClaims(
  auth: AuthContext,
  requirements: NormalizedRequirements,
  request: RequestLike,
  realm?: string,
): Promise<void> {
  if (requirements.isEmpty) return;
  // RFC 9449 per route: a route may insist on DPoP, or refuse it, before anything else.
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
  // RFC 9470: a 401 (authenticate again) comes before any 403 (this token will never do).
  if (requirements.authContext !== undefined) {
    checkAuthContext(auth.claims, requirements.authContext, realm);
  }
  if (requirements.brand !== undefined) checkBrand(auth, requirements.brand, request, realm);
  const { scopes, anyScope } = requirements;
  if (scopes !== undefined && !scopes.every((s) => auth.scopes.includes(s))) {
    throw new InsufficientScopeError(scopes, { realm });
  }
  if (anyScope !== undefined && !anyScope.some((s) => auth.scopes.includes(s))) {
    throw new InsufficientScopeError(anyScope, { realm });
  }
  if (requirements.predicate !== undefined) {
    let allowed: boolean;
    try {
      allowed = await requirements.predicate(auth, request);
    } catch (cause) {
      throw new ServerError({ message: 'the claims predicate threw', cause });
    }
    if (allowed !== true) throw new AccessDeniedError({ realm });
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
