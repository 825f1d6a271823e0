/**
 * @tokenguard/core: the framework-free engine behind the tokenguard adapters.
 * Named re-exports only: this file is the whole public surface.
 */

export type { CachedResult, CacheStore } from './cache/cache-store.js';
export { createGuard } from './create-guard.js';
export {
  AccessDeniedError,
  type ErrorBody,
  InsufficientScopeError,
  InvalidBrandError,
  InvalidRequestError,
  InvalidTokenError,
  isTokenGuardError,
  MissingTokenError,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
  type TokenGuardErrorCode,
  UpstreamUnavailableError,
} from './errors.js';
export type { CallContext, ErrorResponse, GuardMetrics, TokenGuard } from './guard-types.js';
export { buildChallenge, type ChallengeAttributes } from './http/build-challenge.js';
export { isCompactJws } from './jwt/is-compact-jws.js';
export type {
  BearerTokenSource,
  CacheOptions,
  ClientAuthentication,
  ClientCredentialsAuthentication,
  GuardOptions,
  IntrospectionOptions,
  JwtKeySource,
  JwtOptions,
  PrivateKeyJwtKey,
  TokenGuardLogger,
} from './options/types.js';
export { type NormalizedRequirements, normalizeRequirements } from './policy/authorize.js';
export type {
  AuthContext,
  BrandRequirement,
  ClaimsPredicate,
  HeaderBag,
  RequestLike,
  Requirements,
  TokenClaims,
  ValidationStrategy,
} from './types.js';
