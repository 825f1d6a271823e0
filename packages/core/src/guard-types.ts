import type { SubjectRevocation } from './cache/create-subject-revocations.js';
import type { ErrorBody } from './errors.js';
import type { GuardHealth, HealthOptions } from './health/check-guard-health.js';
import type { LatencyHistogramSnapshot } from './metrics/create-latency-histogram.js';
import type { PrometheusOptions } from './metrics/render-prometheus-metrics.js';
import type { ResourceMetadata } from './resource-metadata/create-resource-metadata.js';
import type {
  AuthContext,
  RequestLike,
  Requirements,
  TokenGuardLogger,
  ValidationStrategy,
} from './types.js';
import type { CacheTier } from './validation-trace.js';

/**
 * A framework's per-request logger, in pino's call order `(object, message)`: Fastify's
 * `request.log`, pino-http's `req.log`, koa-pino-logger's `ctx.log`.
 */
export interface RequestLog {
  warn(detail: object, message: string): void;
  error(detail: object, message: string): void;
  /** Optional: the refusal line with its reason code. */
  debug?(detail: object, message: string): void;
}

/**
 * Per-call context an adapter may pass.
 *
 * @example
 * await guard.authenticate(request, { log: req.log, optional: true });
 */
export interface CallContext {
  readonly logger?: TokenGuardLogger;
  /** The request's own logger (pino order); used before `logger` and the guard's logger. */
  readonly log?: RequestLog;
  /**
   * Overrides the guard's `optional` for this call (a route that allows anonymous access):
   * no token → `undefined`; a bad token still fails.
   */
  readonly optional?: boolean;
  /**
   * The route's requirement, where the adapter knows the route when it authenticates
   * (Fastify route options, Nest decorators): checked together with the guard-wide one, in
   * one order, so a route's step-up (401) comes before a guard-wide scope (403). It applies
   * to a request that carries a token; one without is the adapter's to refuse (or pass, on
   * an optional route).
   */
  readonly requirements?: Requirements;
}

/**
 * An error rendered for the wire: what every adapter writes.
 *
 * @example
 * const { status, headers, body } = guard.errorResponse(error);
 * res.writeHead(status, headers).end(JSON.stringify(body));
 */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: ErrorBody;
}

/**
 * Counters for operators; a snapshot, cheap to read.
 *
 * @example
 * const { cacheHits, cacheMisses, breakerState } = guard.metrics();
 */
export interface GuardMetrics {
  /** Requests answered from a cache tier (in-process or shared). */
  readonly cacheHits: number;
  /** Requests that found no fresh entry in any tier (they validated, or waited for a validation). */
  readonly cacheMisses: number;
  /** Of `cacheHits`, those answered by the shared `cache.store`. */
  readonly sharedHits: number;
  /** Shared-store lookups that found an entry / found none. */
  readonly storeHits: number;
  readonly storeMisses: number;
  /** Shared-store calls that failed, or passed `cache.storeTimeoutMs`: each cost a miss, never an error answer. */
  readonly storeErrors: number;
  readonly storeTimeouts: number;
  /** Requests answered from an out-of-date entry during an outage (`cache.staleIfErrorMs`). */
  readonly servedStale: number;
  /** `evict` and `evictSubject` calls on this guard. */
  readonly evictions: number;
  /** The shared store's own counters (e.g. `@tokenguard/redis`: values refused by their HMAC check). */
  readonly store?: Readonly<Record<string, number>>;
  /** Introspection calls sent to the identity service. */
  readonly upstreamCalls: number;
  /** Requests that waited on another request's upstream call instead of making their own. */
  readonly coalesced: number;
  readonly jwksFetches: number;
  readonly tokenEndpointCalls: number;
  /** Requests refused because the upstream concurrency cap was full past the queue timeout. */
  readonly rejectedByConcurrencyCap: number;
  /** Requests answered 503 at once because the circuit breaker was open. */
  readonly rejectedByBreaker: number;
  readonly breakerState: 'closed' | 'open' | 'half-open';
  /** Refusals by error code. */
  readonly errors: Readonly<Record<string, number>>;
  /** Refusals by stable reason code (`token_expired`, `audience_mismatch`, …; README troubleshooting). */
  readonly reasons: Readonly<Record<string, number>>;
  /** Tokens accepted, by the strategy that validated them (cache hits included). */
  readonly byStrategy: Readonly<Record<ValidationStrategy, number>>;
  /** Lookups by the cache tier that answered; `none`: validated afresh (or waited on a validation). */
  readonly byCacheTier: Readonly<Record<CacheTier, number>>;
  /** Latency of upstream HTTP calls by purpose (`introspection`, `jwks`, `discovery`, `token`), in ms buckets. */
  readonly upstreamLatency: Readonly<Record<string, LatencyHistogramSnapshot>>;
  /** With several issuers: each issuer's own upstream counters and breaker, by issuer. */
  readonly issuers?: Readonly<Record<string, IssuerMetrics>>;
}

/** One issuer's share of the counters (its upstream calls, key fetches and breaker). */
export interface IssuerMetrics {
  readonly upstreamCalls: number;
  readonly jwksFetches: number;
  readonly tokenEndpointCalls: number;
  readonly rejectedByConcurrencyCap: number;
  readonly rejectedByBreaker: number;
  readonly breakerState: 'closed' | 'open' | 'half-open';
}

/**
 * The guard `createGuard` returns: what adapters (and apps without one) call.
 *
 * @example
 * const guard = createGuard(options);
 * await guard.ready();
 * try {
 *   const auth = await guard.authenticate({ method, url, headers });
 * } catch (error) {
 *   const { status, headers, body } = guard.errorResponse(error);
 * }
 */
export interface TokenGuard {
  /** The realm of every challenge. */
  readonly realm: string;
  /**
   * The RFC 9728 Protected Resource Metadata this guard publishes (`resourceMetadata`
   * option): the document, its paths and URL. `undefined` when not configured.
   */
  readonly resourceMetadata: ResourceMetadata | undefined;
  /**
   * Extracts the bearer token (RFC 6750 §2), validates it and applies the guard-wide
   * requirements. Returns `undefined` only for an optional guard and a request with no token.
   * @throws TokenGuardError
   */
  authenticate(request: RequestLike, context?: CallContext): Promise<AuthContext | undefined>;
  /** Validates a raw token string (no requirements applied). @throws TokenGuardError */
  verify(token: string, context?: CallContext): Promise<AuthContext>;
  /**
   * Checks route requirements against a validated auth context. A missing auth context is
   * a 401. @throws TokenGuardError
   */
  authorize(
    auth: AuthContext | undefined,
    requirements: Requirements,
    request: RequestLike,
    context?: CallContext,
  ): Promise<void>;
  /** Renders any error as the RFC 6750 answer; unknown errors become 500 `server_error`. */
  errorResponse(error: unknown): ErrorResponse;
  /**
   * Drops the token's cached verdict here, in the shared store, and on every instance
   * subscribed to it (within 100 ms on Redis): after an RFC 7009 revocation, say. The next
   * request with that token asks the identity service again.
   * @throws UpstreamUnavailableError when the shared store did not confirm the eviction (the
   * local entry is dropped anyway): answer the webhook 503 so it is retried.
   */
  evict(token: string): Promise<void>;
  /**
   * Drops every cached verdict whose `sub` is `sub`, here, in the shared store and on
   * every instance: log a user out everywhere. Subjects are matched within this guard's
   * namespace (services sharing a store each evict their own entries).
   *
   * With `revocation`, every token of the subject issued at or before
   * `revocation.issuedBeforeMs` (its `iat`) is refused from now on, for `revocation.keepMs`,
   * on every instance (announced, and kept in the shared store when it can): a locally
   * verified JWT stays valid by its signature, so eviction alone would not end it (OpenID
   * CAEP `session-revoked`).
   * @throws UpstreamUnavailableError when the shared store did not confirm the eviction.
   */
  evictSubject(sub: string, revocation?: SubjectRevocation): Promise<void>;
  /** Counters for operators. */
  metrics(): GuardMetrics;
  /**
   * `metrics()` in the Prometheus text exposition format (serve it with
   * `PROMETHEUS_CONTENT_TYPE`): counters by strategy, cache tier, error and reason code,
   * the breaker state, and a histogram of upstream call latency.
   */
  metricsText(options?: PrometheusOptions): string;
  /**
   * Whether the guard can validate tokens, for a readiness route: discovery, key set,
   * breaker and shared store, read from state the guard holds (no upstream call). With
   * `{ probe: true }` it fetches what is missing and sends the introspection endpoint one
   * probe token instead. Never rejects.
   */
  health(options?: HealthOptions): Promise<GuardHealth>;
  /**
   * Resolves once lazy configuration (discovery) has succeeded and the shared store's
   * invalidation channel is subscribed; rejects with the
   * configuration error (e.g. an issuer mismatch) or outage. Call it at startup.
   */
  ready(): Promise<void>;
  /** Closes pools and timers so the process can exit. */
  close(): Promise<void>;
}
