/**
 * What operators call on a guard, beside the request path: the rendered refusal, eviction
 * by token and by subject, counters, health, startup and shutdown. Each reads the parts the
 * guard wired (the result cache, the issuers) and the resolved settings; none decides how a
 * request is answered.
 */
import type { ResultCache } from '../cache/create-result-cache.js';
import type { SubjectRevocation } from '../cache/create-subject-revocations.js';
import { hashToken } from '../cache/hash-token.js';
import { TokenGuardError } from '../errors.js';
import type { TokenGuard } from '../guard-types.js';
import type { IssuerRouter } from '../issuers/create-issuer-router.js';
import { renderPrometheusMetrics } from '../metrics/render-prometheus-metrics.js';
import type { NormalizedConfig } from '../settings/normalize-options.js';
import type { GuardMetricsRecorder } from './create-guard-metrics.js';
import type { Refuse } from './create-refusal.js';
import { renderRefusal } from './render-refusal.js';

export type GuardOperations = Pick<
  TokenGuard,
  | 'errorResponse'
  | 'evict'
  | 'evictSubject'
  | 'metrics'
  | 'metricsText'
  | 'health'
  | 'ready'
  | 'close'
>;

export interface GuardParts {
  readonly cache: ResultCache;
  readonly issuers: IssuerRouter;
  readonly metrics: GuardMetricsRecorder;
  readonly refuse: Refuse;
}

/**
 * @example
 * const operations = createGuardOperations(config, { cache, issuers, metrics, refuse });
 * await operations.evict(token);
 */
export function createGuardOperations(
  config: NormalizedConfig,
  parts: GuardParts,
): GuardOperations {
  const { cache, issuers, refuse } = parts;
  const metrics: GuardOperations['metrics'] = () => {
    const snapshot = parts.metrics.snapshot(issuers.breakerState);
    const byIssuer = issuers.metrics();
    const store = cache.storeMetrics();
    return {
      ...snapshot,
      ...(byIssuer === undefined ? {} : { issuers: byIssuer }),
      ...(store === undefined ? {} : { store: { ...store } }),
    };
  };
  return {
    errorResponse(error) {
      return renderRefusal(error instanceof TokenGuardError ? error : refuse(error), {
        realm: config.realm,
        resourceMetadata: config.resourceMetadata?.url,
        errorDescriptions: config.errorDescriptions,
      });
    },

    async evict(token) {
      // Any string may be evicted (a revocation webhook passes what it was given); only its
      // hash is used, as for every cache key.
      if (typeof token !== 'string' || token === '') return;
      // With several issuers a token's entry lives under its issuer's namespace (or the
      // in-order one, the guard's): each entry carries the guard-wide key, which reaches
      // them all, on every instance, whichever issuers each holds.
      await cache.evict(hashToken(config.namespace, token));
    },

    async evictSubject(sub, revocation) {
      if (typeof sub !== 'string' || sub === '') return;
      if (revocation !== undefined && !isRevocation(revocation)) {
        throw new TypeError(
          'tokenguard: evictSubject(sub, revocation): revocation must be { issuedBeforeMs, keepMs } with finite, non-negative numbers',
        );
      }
      await cache.evictSubject(sub, revocation);
    },

    metrics,

    metricsText(options) {
      return renderPrometheusMetrics(metrics(), options);
    },

    health(options) {
      const store = config.cache?.store === undefined ? undefined : cache.storeHealth;
      return issuers.health({ store }, options);
    },

    async ready() {
      await cache.ready();
      await issuers.ready();
    },

    async close() {
      await issuers.close();
      await cache.close();
    },
  };
}

function isRevocation(value: SubjectRevocation): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isFinite(value.issuedBeforeMs) &&
    Number.isFinite(value.keepMs) &&
    value.keepMs > 0
  );
}
