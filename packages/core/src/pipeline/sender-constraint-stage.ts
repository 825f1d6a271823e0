/**
 * Stage 4, sender constraint (RFC 9449 DPoP, RFC 8705 mTLS): whether the request proves
 * possession of the key a bound token is tied to, checked on every request after the
 * (cached) verdict. Plain bearer tokens pass synchronously; a proof to verify is a promise.
 */
import type { CacheStore } from '../cache/cache-store.js';
import { InvalidTokenError } from '../errors.js';
import type { Pending } from '../guard/authenticate-now.js';
import type { CertificateSource } from '../options/types.js';
import { createReplayCache } from '../sender-constraint/create-replay-cache.js';
import {
  createSenderConstraint,
  type TokenBinding,
} from '../sender-constraint/create-sender-constraint.js';
import type { NormalizedDpop } from '../sender-constraint/normalize-sender-constraint-options.js';
import { isSenderConstrained } from '../token/is-sender-constrained.js';
import type { RequestLike, TokenClaims, TokenGuardLogger } from '../types.js';
import type { PresentedScheme } from './extract-stage.js';

/** The token's binding (`undefined`: a bearer token); throws when possession is not proven. */
export type SenderConstraintStage = (
  request: RequestLike | undefined,
  scheme: PresentedScheme,
  token: string,
  claims: TokenClaims,
) => Pending<TokenBinding | undefined>;

export interface SenderConstraintStageSettings {
  readonly dpop: NormalizedDpop;
  readonly mtls: { readonly certificateFrom: CertificateSource } | undefined;
  readonly clockToleranceSec: number;
  readonly namespace: string;
  /** The shared tier: DPoP proof `jti`s are remembered there when it has `add()`. */
  readonly store: CacheStore | undefined;
  readonly storeTimeoutMs: number | undefined;
  readonly logger: TokenGuardLogger;
}

/**
 * @example
 * const possession = createSenderConstraintStage({ dpop, mtls, clockToleranceSec, namespace, store, storeTimeoutMs, logger });
 * const binding = await possession(request, 'DPoP', token, claims); // 'dpop'
 */
export function createSenderConstraintStage(
  settings: SenderConstraintStageSettings,
): SenderConstraintStage {
  const { dpop, store } = settings;
  const senderConstraint = createSenderConstraint({
    dpop: {
      ...dpop,
      clockToleranceSec: settings.clockToleranceSec,
      replay: createReplayCache({
        store,
        // A replay check answers from Redis in about a millisecond; the result-cache
        // deadline (tuned for misses) would be too short for a call that must not fail open.
        storeTimeoutMs: Math.max(settings.storeTimeoutMs ?? 0, 500),
        maxEntries: dpop.maxReplayEntries,
      }),
    },
    mtls: settings.mtls,
    namespace: settings.namespace,
  });
  // RFC 9449 §11.1: without a shared store a proof's jti is known to this process only.
  if (dpop.mode !== 'disabled' && !store?.add) {
    settings.logger.warn(
      store
        ? 'dpop: the cache store has no add(): DPoP proof replay is only detected per instance'
        : 'dpop: no shared cache store: a DPoP proof can be replayed on another instance or after a restart (set cache.store)',
    );
  }
  return (request, scheme, token, claims) => {
    if (request !== undefined) return senderConstraint.check(request, scheme, token, claims);
    // `verify(token)` has no request to prove possession with (RFC 9449 §7.2).
    if (isSenderConstrained(claims)) {
      throw new InvalidTokenError({
        message: 'sender-constrained token without a request',
        reason: 'sender_constrained',
      });
    }
    return undefined;
  };
}
