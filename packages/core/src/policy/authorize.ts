/**
 * Route and guard requirements, always checked against the validated token's own claims:
 * nothing in the request can supply or override a scope or a brand.
 */
import {
  AccessDeniedError,
  InsufficientScopeError,
  InvalidBrandError,
  ServerError,
  TokenGuardConfigError,
} from '../errors.js';
import type { AuthContext, BrandRequirement, RequestLike, Requirements } from '../types.js';

/** Requirements checked once at definition time; frozen. */
export interface NormalizedRequirements extends Requirements {
  readonly isEmpty: boolean;
}

const EMPTY: NormalizedRequirements = Object.freeze({ isEmpty: true });
const normalized = new WeakSet<object>();

/**
 * Validates requirements where they are declared (guard options, route helpers), so a
 * typo is a startup error, not a per-request 401. Throws `TokenGuardConfigError`.
 */
export function normalizeRequirements(
  requirements: Requirements | undefined,
  path = 'requirements',
): NormalizedRequirements {
  if (requirements === undefined) return EMPTY;
  if (normalized.has(requirements)) return requirements as NormalizedRequirements;
  const scopes = scopeList(requirements.scopes, `${path}.scopes`);
  const anyScope = scopeList(requirements.anyScope, `${path}.anyScope`);
  if (anyScope !== undefined && anyScope.length === 0) {
    throw new TokenGuardConfigError(`${path}.anyScope`, 'must name at least one scope');
  }
  const brand = brandRequirement(requirements.brand, `${path}.brand`);
  const predicate = requirements.predicate;
  if (predicate !== undefined && typeof predicate !== 'function') {
    throw new TokenGuardConfigError(`${path}.predicate`, 'must be a function');
  }
  const result: NormalizedRequirements = Object.freeze({
    scopes: scopes?.length ? scopes : undefined,
    anyScope,
    brand,
    predicate,
    isEmpty: !scopes?.length && !anyScope && brand === undefined && predicate === undefined,
  });
  normalized.add(result);
  return result;
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function scopeList(value: unknown, path: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s))) {
    throw new TokenGuardConfigError(path, 'must be a list of RFC 6749 §3.3 scope tokens');
  }
  return Object.freeze([...value]);
}

function brandRequirement(value: unknown, path: string): BrandRequirement | undefined {
  if (value === undefined || typeof value === 'function') return value as BrandRequirement;
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && value.length > 0 && value.every((b) => typeof b === 'string' && b)) {
    return Object.freeze([...value]);
  }
  throw new TokenGuardConfigError(
    path,
    'must be a brand, a non-empty list of brands, or a function of the request',
  );
}

/**
 * Checks `requirements` against the token. Throws 403 errors (`insufficient_scope`,
 * `invalid_brand`, `access_denied`); a throwing predicate or brand function is our bug,
 * answered 500 (fail closed).
 */
export async function authorizeClaims(
  auth: AuthContext,
  requirements: NormalizedRequirements,
  request: RequestLike,
): Promise<void> {
  if (requirements.isEmpty) return;
  if (requirements.brand !== undefined) checkBrand(auth, requirements.brand, request);
  const { scopes, anyScope } = requirements;
  if (scopes !== undefined && !scopes.every((s) => auth.scopes.includes(s))) {
    throw new InsufficientScopeError(scopes);
  }
  if (anyScope !== undefined && !anyScope.some((s) => auth.scopes.includes(s))) {
    throw new InsufficientScopeError(anyScope);
  }
  if (requirements.predicate !== undefined) {
    let allowed: boolean;
    try {
      allowed = await requirements.predicate(auth, request);
    } catch (cause) {
      throw new ServerError({ message: 'the claims predicate threw', cause });
    }
    if (allowed !== true) throw new AccessDeniedError();
  }
}

function checkBrand(auth: AuthContext, requirement: BrandRequirement, request: RequestLike): void {
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
  if (!ok) throw new InvalidBrandError({ message: 'token brand not accepted' });
}
