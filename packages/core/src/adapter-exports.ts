/**
 * What every framework adapter re-exports from the core (`export * from
 * '@tokenguard/core/adapter-exports'`), so an application imports from its adapter alone:
 * the types of options, claims and answers, the error classes, and the few helpers an app
 * calls next to the middleware. One list, so the adapters cannot drift apart.
 */

export type {
  ErrorFormatter,
  FormattedError,
  SharedSignalsRouteOptions,
} from './adapter-kit/index.js';
export type {
  AuthContext,
  AuthContextRequirement,
  BrandRequirement,
  ClaimsPredicate,
  DpopOption,
  DpopOptions,
  ErrorBody,
  ErrorResponse,
  GuardHealth,
  GuardMetrics,
  GuardOptions,
  IssuerMetrics,
  IssuerOptions,
  IssuerResolver,
  IssuerSelector,
  MtlsOptions,
  RequestLike,
  Requirements,
  ResourceMetadata,
  ResourceMetadataOptions,
  TokenClaims,
  TokenGetter,
  TokenGuard,
  TokenGuardErrorCode,
} from './index.js';
export {
  AccessDeniedError,
  createGuard,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  InvalidBrandError,
  InvalidDpopProofError,
  InvalidRequestError,
  InvalidTokenError,
  isTokenGuardError,
  MissingTokenError,
  PROMETHEUS_CONTENT_TYPE,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
  UpstreamUnavailableError,
  UseDpopNonceError,
} from './index.js';
