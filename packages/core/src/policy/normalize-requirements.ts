/**
 * Route and guard requirements, validated where they are declared; `authorizeClaims`
 * checks them against the validated token's own claims.
 */
import { TokenGuardConfigError } from '../errors.js';
import { SCOPE_TOKEN } from '../internal/scope-syntax.js';
import { normalizeAuthContextRequirement } from '../step-up/normalize-auth-context-requirement.js';
import type { BrandRequirement, Requirements } from '../types.js';

/** Requirements checked once at definition time; frozen. */
export interface NormalizedRequirements extends Requirements {
  readonly isEmpty: boolean;
}

const EMPTY: NormalizedRequirements = Object.freeze({ isEmpty: true });
const normalized = new WeakSet<object>();

/**
 * Validates requirements where they are declared (guard options, route helpers), so a
 * typo is a startup error, not a per-request 401. Throws `TokenGuardConfigError`.
 *
 * @example
 * const adminOnly = normalizeRequirements({ scopes: ['admin'] }, 'requireScopes');
 * await guard.authorize(auth, adminOnly, request);
 */
export function normalizeRequirements(
  requirements: Requirements | undefined,
  path = 'requirements',
): NormalizedRequirements {
  if (requirements === undefined) return EMPTY;
  if (normalized.has(requirements)) return requirements as NormalizedRequirements;
  const scopes = scopeList(requirements.scopes, `${path}.scopes`);
  const anyScope = scopeList(requirements.anyScope, `${path}.anyScope`);
  // An empty list must never mean "no requirement": `requireScopes(...parse(env.SCOPES))`
  // with the variable unset would otherwise let every token through. Refused, like anyScope.
  if (scopes !== undefined && scopes.length === 0) {
    throw new TokenGuardConfigError(
      `${path}.scopes`,
      'must name at least one scope (an empty list would accept every token)',
    );
  }
  if (anyScope !== undefined && anyScope.length === 0) {
    throw new TokenGuardConfigError(`${path}.anyScope`, 'must name at least one scope');
  }
  const brand = brandRequirement(requirements.brand, `${path}.brand`);
  const authContext = normalizeAuthContextRequirement(
    requirements.authContext,
    `${path}.authContext`,
  );
  const predicate = requirements.predicate;
  if (predicate !== undefined && typeof predicate !== 'function') {
    throw new TokenGuardConfigError(`${path}.predicate`, 'must be a function');
  }
  const dpop = requirements.dpop;
  if (dpop !== undefined && dpop !== 'disabled' && dpop !== 'allowed' && dpop !== 'required') {
    throw new TokenGuardConfigError(`${path}.dpop`, "must be 'disabled', 'allowed' or 'required'");
  }
  const result: NormalizedRequirements = Object.freeze({
    scopes,
    anyScope,
    brand,
    predicate,
    authContext,
    // 'allowed' narrows nothing: the guard's own mode already decided.
    dpop: dpop === 'allowed' ? undefined : dpop,
    isEmpty:
      !scopes &&
      !anyScope &&
      brand === undefined &&
      predicate === undefined &&
      authContext === undefined &&
      (dpop === undefined || dpop === 'allowed'),
  });
  normalized.add(result);
  return result;
}

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
