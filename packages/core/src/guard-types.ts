import type { ErrorBody } from './errors.js';
import type { TokenGuardLogger } from './options/types.js';
import type { AuthContext, RequestLike, Requirements } from './types.js';

/**
 * A framework's per-request logger, in pino's call order `(object, message)`: Fastify's
 * `request.log`, pino-http's `req.log`, koa-pino-logger's `ctx.log`.
 */
export interface RequestLog {
  warn(detail: object, message: string): void;
  error(detail: object, message: string): void;
}

/** Per-call context an adapter may pass. */
export interface CallContext {
  readonly logger?: TokenGuardLogger;
  /** The request's own logger (pino order); used before `logger` and the guard's logger. */
  readonly log?: RequestLog;
  /**
   * Overrides the guard's `optional` for this call (a route that allows anonymous access):
   * no token → `undefined`; a bad token still fails.
   */
  readonly optional?: boolean;
}

/** An error rendered for the wire: what every adapter writes. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: ErrorBody;
}

/** Counters for operators; a snapshot, cheap to read. */
export interface GuardMetrics {
  readonly cacheHits: number;
  readonly cacheMisses: number;
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
}

export interface TokenGuard {
  /** The realm of every challenge. */
  readonly realm: string;
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
  /** Counters for operators. */
  metrics(): GuardMetrics;
  /**
   * Resolves once lazy configuration (discovery) has succeeded; rejects with the
   * configuration error (e.g. an issuer mismatch) or outage. Call it at startup.
   */
  ready(): Promise<void>;
  /** Closes pools and timers so the process can exit. */
  close(): Promise<void>;
}
