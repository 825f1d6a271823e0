/**
 * The guard's counters: one mutable record behind increment functions, read as a frozen
 * snapshot by `guard.metrics()`.
 */
import type { ResultCacheCounters } from '../cache/create-result-cache.js';
import type { GuardMetrics } from '../guard-types.js';
import type { BreakerState } from '../health/check-guard-health.js';
import {
  createLatencyHistogram,
  type LatencyHistogram,
} from '../metrics/create-latency-histogram.js';
import type { ValidationStrategy } from '../types.js';

/** The counters every component increments (names match `GuardMetrics`). */
export type GuardCounter =
  | 'cacheHits'
  | 'cacheMisses'
  | 'sharedHits'
  | 'storeHits'
  | 'storeMisses'
  | 'storeErrors'
  | 'storeTimeouts'
  | 'servedStale'
  | 'evictions'
  | 'upstreamCalls'
  | 'coalesced'
  | 'jwksFetches'
  | 'tokenEndpointCalls'
  | 'rejectedByConcurrencyCap'
  | 'rejectedByBreaker';

export interface GuardMetricsRecorder {
  /** Returns a function that adds one to `counter` (handed to components as a callback). */
  counter(counter: GuardCounter): () => void;
  /** Counts one refusal under its error code and its reason code (the error code without one). */
  refusal(code: string, reason?: string): void;
  /** Counts one accepted token under the strategy that validated it. */
  validated(strategy: ValidationStrategy): void;
  /** The HTTP client's completion hook: one upstream call of `purpose` took `durationMs`. */
  upstreamCompleted(purpose: string, durationMs: number): void;
  /** A copy of every count, with the breaker state read at call time. */
  snapshot(breakerState: BreakerState): GuardMetrics;
}

/**
 * @example
 * const metrics = createGuardMetrics();
 * const onCall = metrics.counter('upstreamCalls');
 * onCall();
 * metrics.snapshot('closed').upstreamCalls; // 1
 */
export function createGuardMetrics(): GuardMetricsRecorder {
  const counts: Record<GuardCounter, number> = {
    cacheHits: 0,
    cacheMisses: 0,
    sharedHits: 0,
    storeHits: 0,
    storeMisses: 0,
    storeErrors: 0,
    storeTimeouts: 0,
    servedStale: 0,
    evictions: 0,
    upstreamCalls: 0,
    coalesced: 0,
    jwksFetches: 0,
    tokenEndpointCalls: 0,
    rejectedByConcurrencyCap: 0,
    rejectedByBreaker: 0,
  };
  const errorCounts: Record<string, number> = {};
  const reasonCounts: Record<string, number> = {};
  const byStrategy: Record<ValidationStrategy, number> = { introspection: 0, jwt: 0 };
  const latency = new Map<string, LatencyHistogram>();
  return {
    counter: (counter) => () => {
      counts[counter]++;
    },
    refusal(code, reason = code) {
      errorCounts[code] = (errorCounts[code] ?? 0) + 1;
      reasonCounts[reason] = (reasonCounts[reason] ?? 0) + 1;
    },
    validated(strategy) {
      byStrategy[strategy]++;
    },
    upstreamCompleted(purpose, durationMs) {
      let histogram = latency.get(purpose);
      if (histogram === undefined) {
        histogram = createLatencyHistogram();
        latency.set(purpose, histogram);
      }
      histogram.observe(durationMs);
    },
    snapshot: (breakerState) => ({
      ...counts,
      breakerState,
      errors: { ...errorCounts },
      reasons: { ...reasonCounts },
      byStrategy: { ...byStrategy },
      // Every lookup ends in exactly one of these: a local hit, a shared hit, or a miss.
      byCacheTier: {
        local: counts.cacheHits - counts.sharedHits,
        shared: counts.sharedHits,
        none: counts.cacheMisses,
      },
      upstreamLatency: Object.fromEntries(
        [...latency].map(([purpose, histogram]) => [purpose, histogram.snapshot()]),
      ),
    }),
  };
}

/** The result cache's counters, each one of the guard's. */
export function cacheCountersOf(metrics: GuardMetricsRecorder): ResultCacheCounters {
  return {
    hit: metrics.counter('cacheHits'),
    sharedHit: metrics.counter('sharedHits'),
    miss: metrics.counter('cacheMisses'),
    coalesced: metrics.counter('coalesced'),
    storeHit: metrics.counter('storeHits'),
    storeMiss: metrics.counter('storeMisses'),
    storeError: metrics.counter('storeErrors'),
    storeTimeout: metrics.counter('storeTimeouts'),
    servedStale: metrics.counter('servedStale'),
    eviction: metrics.counter('evictions'),
  };
}
