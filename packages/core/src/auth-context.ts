import type { AuthContext, TokenClaims, ValidationStrategy } from './types.js';

/**
 * The auth context attached to requests. A class so that `token` is a prototype getter:
 * not an own enumerable property, so `JSON.stringify(req.auth)` and loggers never see it.
 */
class Auth implements AuthContext {
  readonly claims: TokenClaims;
  readonly scopes: readonly string[];
  readonly strategy: ValidationStrategy;
  // Declared, not initialised: an own property only when true, so a fresh identity
  // serialises exactly as before.
  declare readonly stale?: true;
  readonly issuer: string | undefined;
  /** As `stale`: an own property only for a bound token (RFC 9449, RFC 8705). */
  declare readonly binding?: 'dpop' | 'mtls';
  readonly #token: string;

  constructor(
    token: string,
    claims: TokenClaims,
    strategy: ValidationStrategy,
    stale?: true,
    issuer?: string,
    binding?: 'dpop' | 'mtls',
  ) {
    this.#token = token;
    this.claims = claims;
    this.scopes = scopesOf(claims);
    this.strategy = strategy;
    if (stale === true) (this as { stale?: true }).stale = true;
    this.issuer = issuer;
    if (binding !== undefined) (this as { binding?: 'dpop' | 'mtls' }).binding = binding;
  }

  get token(): string {
    return this.#token;
  }
}

export function createAuthContext(
  token: string,
  claims: TokenClaims,
  strategy: ValidationStrategy,
  stale?: true,
  issuer?: string,
  binding?: 'dpop' | 'mtls',
): AuthContext {
  return new Auth(token, claims, strategy, stale, issuer, binding);
}

/**
 * Scope lists by scope string: the tokens of one API carry a handful of distinct scope
 * strings, so each is split once and its frozen list shared (cached verdict or not).
 * Bounded, and cleared when full; long strings are split every time.
 */
const scopeLists = new Map<string, readonly string[]>();
const MAX_SCOPE_LISTS = 256;
const MAX_REMEMBERED_SCOPE_LENGTH = 512;
const NO_SCOPES: readonly string[] = Object.freeze([]);

/** RFC 6749 §3.3 / RFC 7662 §2.2: `scope` is a space-separated list. */
function scopesOf(claims: TokenClaims): readonly string[] {
  const scope = claims.scope;
  if (typeof scope !== 'string' || scope === '') return NO_SCOPES;
  let scopes = scopeLists.get(scope);
  if (scopes === undefined) {
    scopes = Object.freeze(scope.split(' ').filter((s) => s !== ''));
    if (scope.length <= MAX_REMEMBERED_SCOPE_LENGTH) {
      if (scopeLists.size >= MAX_SCOPE_LISTS) scopeLists.clear();
      scopeLists.set(scope, scopes);
    }
  }
  return scopes;
}
