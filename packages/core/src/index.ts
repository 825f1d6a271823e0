export type {
  DpopOption,
  DpopOptions,
  IssuerOptions,
  IssuerResolver,
  IssuerSelector,
  MtlsOptions,
  ResourceMetadataOptions,
} from './options/types.js';
export type { TokenGuardLogger } from './types.js';
/**
 * @tokenguard/core: the framework-free engine behind the tokenguard adapters.
 * Named re-exports only: this file is the whole public surface.
 */

export type {
  CachedResult,
  CacheEntry,
  CacheStore,
  Invalidation,
  Unsubscribe,
} from './cache/cache-store.js';
export type { SubjectRevocation } from './cache/create-subject-revocations.js';
export { createGuard } from './create-guard.js';
export {
  AccessDeniedError,
  type ErrorBody,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  InvalidBrandError,
  InvalidDpopProofError,
  InvalidRequestError,
  InvalidTokenError,
  isTokenGuardConfigError,
  isTokenGuardError,
  MissingTokenError,
  type RefusalReason,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
  type TokenGuardErrorCode,
  UpstreamUnavailableError,
  UseDpopNonceError,
} from './errors.js';
export type {
  CallContext,
  ErrorResponse,
  GuardMetrics,
  IssuerMetrics,
  TokenGuard,
} from './guard-types.js';
export type { GuardHealth, HealthOptions } from './health/check-guard-health.js';
export type { LatencyHistogramSnapshot } from './metrics/create-latency-histogram.js';
export {
  PROMETHEUS_CONTENT_TYPE,
  type PrometheusOptions,
  renderPrometheusMetrics,
} from './metrics/render-prometheus-metrics.js';
export type {
  BearerTokenSource,
  CacheOptions,
  ClientAuthentication,
  ClientCredentialsAuthentication,
  EndpointHttpOptions,
  GuardOptions,
  HttpOptions,
  IntrospectionOptions,
  JwtKeySource,
  JwtOptions,
  PrivateKeyJwtKey,
  TokenOptions,
} from './options/types.js';
export {
  type ResourceMetadata,
  WELL_KNOWN_PATH as PROTECTED_RESOURCE_WELL_KNOWN_PATH,
} from './resource-metadata/create-resource-metadata.js';
export {
  CAEP_CREDENTIAL_CHANGE,
  CAEP_SESSION_REVOKED,
  createSharedSignalsReceiver,
  type SecurityEventAnswer,
  type SecurityEventDelivery,
  type SharedSignalsReceiver,
  type SharedSignalsReceiverOptions,
  type SubjectEvictor,
} from './shared-signals/create-shared-signals-receiver.js';
export {
  SecurityEventError,
  type SecurityEventErrorCode,
} from './shared-signals/security-event-error.js';
export {
  defaultSubjectFor,
  type SubjectIdentifier,
  type SubjectMapper,
} from './shared-signals/subjects-of-event.js';
export type {
  AuthContext,
  AuthContextRequirement,
  BrandRequirement,
  ClaimsPredicate,
  HeaderBag,
  PeerSocket,
  RequestLike,
  Requirements,
  TokenClaims,
  TokenGetter,
  ValidationStrategy,
} from './types.js';
export type { CacheTier, ValidationTrace } from './validation-trace.js';
