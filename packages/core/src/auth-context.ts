import type { AuthContext, TokenClaims, ValidationStrategy } from './types.js';

/**
 * The auth context attached to requests. A class so that `token` is a prototype getter:
 * not an own enumerable property, so `JSON.stringify(req.auth)` and loggers never see it.
 */
class Auth implements AuthContext {
  readonly claims: TokenClaims;
  readonly scopes: readonly string[];
  readonly strategy: ValidationStrategy;
  readonly #token: string;

  constructor(token: string, claims: TokenClaims, strategy: ValidationStrategy) {
    this.#token = token;
    this.claims = claims;
    this.scopes = scopesOf(claims);
    this.strategy = strategy;
  }

  get token(): string {
    return this.#token;
  }
}

export function createAuthContext(
  token: string,
  claims: TokenClaims,
  strategy: ValidationStrategy,
): AuthContext {
  return new Auth(token, claims, strategy);
}

/** RFC 6749 §3.3 / RFC 7662 §2.2: `scope` is a space-separated list. */
export function scopesOf(claims: TokenClaims): readonly string[] {
  const scope = claims.scope;
  if (typeof scope !== 'string' || scope === '') return [];
  return scope.split(' ').filter((s) => s !== '');
}
