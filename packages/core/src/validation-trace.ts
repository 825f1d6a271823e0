/**
 * The message of the `tokenguard:validate` TracingChannel (node:diagnostics_channel), one
 * per `authenticate` / `verify` call. The same object goes to `start`, `end`, `asyncStart`,
 * `asyncEnd` and `error`; the guard fills its fields in as it learns them, so by `asyncEnd`
 * (or `error`) it is complete. It never carries a token or a claim value: at most a prefix
 * of the token's cache-key hash.
 */
import type { TokenGuardErrorCode } from './errors.js';
import type { ValidationStrategy } from './types.js';

/** Which cache tier answered: in-process, the shared store, or none (validated afresh). */
export type CacheTier = 'local' | 'shared' | 'none';

export interface ValidationTrace {
  /** `authenticate` (a request) or `verify` (a raw token). */
  readonly operation: 'authenticate' | 'verify';
  /** The strategy that validated (or refused) the token; absent when no token was validated. */
  strategy?: ValidationStrategy;
  /** The cache tier that answered; `none` when the token was validated afresh or never looked up. */
  cacheTier: CacheTier;
  /** Whether this call sent an introspection request to the identity service. */
  upstreamCalled: boolean;
  /** Whether this call waited on a concurrent call's validation of the same token. */
  coalesced: boolean;
  /** Whether an out-of-date entry answered during an outage (`cache.staleIfErrorMs`). */
  stale: boolean;
  /** The first 8 characters of the token's cache key (a salted hash), to correlate calls. */
  tokenHash?: string;
  /** On refusal: the HTTP status. */
  status?: number;
  /** On refusal: the RFC 6750 error code (`invalid_token`, `temporarily_unavailable`, …). */
  code?: TokenGuardErrorCode;
  /** On refusal: the stable reason code (`token_expired`, `audience_mismatch`, …). */
  reason?: string;
  /** Set by diagnostics_channel on `error`: the refusal (a `TokenGuardError`). */
  error?: unknown;
}
