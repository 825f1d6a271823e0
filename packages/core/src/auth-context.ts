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
  readonly #token: string;

  constructor(
    token: string,
    claims: TokenClaims,
    strategy: ValidationStrategy,
    stale?: true,
    issuer?: string,
  ) {
    this.#token = token;
    this.claims = claims;
    this.scopes = scopesOf(claims);
    this.strategy = strategy;
    if (stale === true) (this as { stale?: true }).stale = true;
    this.issuer = issuer;
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
): AuthContext {
  return new Auth(token, claims, strategy, stale, issuer);
}

/** RFC 6749 §3.3 / RFC 7662 §2.2: `scope` is a space-separated list. */
function scopesOf(claims: TokenClaims): readonly string[] {
  const scope = claims.scope;
  if (typeof scope !== 'string' || scope === '') return [];
  return scope.split(' ').filter((s) => s !== '');
}
