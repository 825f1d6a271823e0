/**
 * Route and guard requirements, validated where they are declared; `authorizeClaims`
 * checks them against the validated token's own claims.
 */
import { TokenGuardConfigError } from '../errors.js';
import { SCOPE_TOKEN } from '../internal/scope-syntax.js';
import { optionalStringList } from '../options/validators.js';
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
 * typo is a startup error, not a per-request 401. Throws `TokenGuardConfigError` naming
 * the field under `path`: `''` for the guard's own options (`scopes`), an object path
 * (`config.tokenguard.scopes`), or a route helper's call (`requireScopes(…)`), which is
 * named as such.
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
  const at = (key: string) => (path === '' ? key : path.endsWith(')') ? path : `${path}.${key}`);
  const scopes = scopeList(requirements.scopes, at('scopes'));
  const anyScope = scopeList(requirements.anyScope, at('anyScope'));
  // An empty list must never mean "no requirement": `requireScopes(...parse(env.SCOPES))`
  // with the variable unset would otherwise let every token through. Refused, like anyScope.
  if (scopes !== undefined && scopes.length === 0) {
    throw new TokenGuardConfigError(
      at('scopes'),
      'must name at least one scope (an empty list would accept every token)',
    );
  }
  if (anyScope !== undefined && anyScope.length === 0) {
    throw new TokenGuardConfigError(at('anyScope'), 'must name at least one scope');
  }
  const brand = brandRequirement(requirements.brand, at('brand'));
  const authContext = normalizeAuthContextRequirement(requirements.authContext, at('authContext'));
  const predicate = requirements.predicate;
  if (predicate !== undefined && typeof predicate !== 'function') {
    throw new TokenGuardConfigError(at('predicate'), 'must be a function');
  }
  const dpop = requirements.dpop;
  if (dpop !== undefined && dpop !== 'disabled' && dpop !== 'allowed' && dpop !== 'required') {
    throw new TokenGuardConfigError(at('dpop'), "must be 'disabled', 'allowed' or 'required'");
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
  const helper = path.endsWith(')') ? path.slice(0, path.indexOf('(')) : undefined;
  if (typeof value === 'string') {
    throw new TokenGuardConfigError(path, `must be a list of scopes, e.g. ${listOf(split(value))}`);
  }
  if (!Array.isArray(value)) {
    throw new TokenGuardConfigError(path, "must be a list of scopes, e.g. ['orders:read']");
  }
  for (const [index, scope] of value.entries()) {
    if (typeof scope === 'string' && SCOPE_TOKEN.test(scope)) continue;
    // 'a b': the peers' one-string style (RFC 6749 §3.3 joins scopes with spaces on the wire).
    const pieces = typeof scope === 'string' ? split(scope) : [];
    if (pieces.length > 1 && pieces.every((piece) => SCOPE_TOKEN.test(piece))) {
      throw new TokenGuardConfigError(
        path,
        helper === undefined
          ? `has ${quote(scope as string)} as one scope: list each scope on its own, ${listOf(pieces)}`
          : `got ${quote(scope as string)}: pass scopes as separate arguments, ${helper}(${pieces.map(quote).join(', ')})`,
      );
    }
    throw new TokenGuardConfigError(
      path,
      `has an invalid scope at [${index}]: RFC 6749 §3.3 scope tokens are non-empty printable ASCII without spaces, quotes or backslashes`,
    );
  }
  return Object.freeze([...value]);
}

function split(scopes: string): string[] {
  return scopes.split(/\s+/).filter((scope) => scope !== '');
}

function quote(scope: string): string {
  return `'${scope}'`;
}

function listOf(scopes: readonly string[]): string {
  return `[${(scopes.length > 0 ? scopes : ['orders:read']).map(quote).join(', ')}]`;
}

function brandRequirement(value: unknown, path: string): BrandRequirement | undefined {
  if (value === undefined || typeof value === 'function') return value as BrandRequirement;
  const brands = optionalStringList(
    value,
    path,
    'must be a brand, a non-empty list of brands, or a function of the request',
  );
  return typeof value === 'string' ? value : brands;
}
