/**
 * Every default of the guard in one place: the option normalisers and the components that
 * run without an option read them from here, and the option docs state the same values.
 */
export const DEFAULTS = Object.freeze({
  /** `realm` of every challenge (RFC 6750 §3). */
  realm: 'api',
  /** Leeway for `exp`, `nbf` and `iat`, in seconds. */
  clockToleranceSec: 5,
  /** Longest accepted Authorization header, in bytes. */
  maxHeaderBytes: 8192,
  /** Deadline of one call to the identity service (introspection, JWKS, discovery), in ms. */
  upstreamTimeoutMs: 5000,
  /** Largest accepted answer from the identity service, in bytes. */
  maxResponseBytes: 65_536,
  /** Keep-alive connections per origin. */
  connections: 64,
  /** Introspection calls in flight at once. */
  maxConcurrent: 256,
  /** How long a call waits for a free slot before it is answered 503, in ms. */
  queueTimeoutMs: 1000,
  /** Distinct tokens (of the last twice as many) meeting an upstream fault that open the circuit breaker. */
  breakerThreshold: 20,
  /** How long the open breaker answers 503 before one probe, in ms. */
  breakerCooldownMs: 5000,
  /** How long a failed discovery or JWKS fetch is remembered (a burst gets one attempt), in ms. */
  retryAfterFailureMs: 2000,
  /** Least time between JWKS refetches caused by an unknown `kid`, in ms. */
  jwksCooldownMs: 30_000,
  /** Age after which a JWKS is refreshed in the background, in ms (10 minutes). */
  jwksMaxAgeMs: 600_000,
  /** Seconds before `expires_in` at which a `client_credentials` token is refreshed. */
  refreshSkewSec: 30,
  /** Life assumed for a token answer without `expires_in` (RFC 6749 §5.1: optional), in seconds. */
  tokenLifetimeSec: 300,
  /** Validation results kept in the default in-memory cache. */
  cacheMaxEntries: 10_000,
  /** Longest life of a cached positive result, in ms (5 minutes; never beyond `exp`). */
  cacheMaxTtlMs: 300_000,
  /** Life of a cached inactive/invalid result, in ms. */
  cacheInactiveTtlMs: 10_000,
  /** Issuer units `resolveIssuer` keeps at once, per segment (proven, on probation). */
  maxIssuers: 100,
  /** New issuer units `resolveIssuer` may set up per second. */
  maxNewIssuersPerSec: 10,
  /** Longest wait for the shared cache store before a lookup counts as a miss, in ms. */
  cacheStoreTimeoutMs: 50,
  /** Oldest accepted DPoP proof `iat`, in seconds (RFC 9449 §11.1). */
  dpopMaxProofAgeSec: 60,
  /** DPoP proof `jti`s remembered in process (RFC 9449 §11.1). */
  dpopMaxReplayEntries: 100_000,
  /** How long a DPoP server nonce is accepted, in seconds (RFC 9449 §9). */
  dpopNonceMaxAgeSec: 300,
});
