/**
 * The guard's counters: one mutable record behind increment functions, read as a frozen
 * snapshot by `guard.metrics()`.
 */
import type { GuardMetrics } from '../guard-types.js';
import type { BreakerState } from '../introspection/create-upstream-limiter.js';

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
  /** Counts one refusal under its error code. */
  refusal(code: string): void;
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
  return {
    counter: (counter) => () => {
      counts[counter]++;
    },
    refusal(code) {
      errorCounts[code] = (errorCounts[code] ?? 0) + 1;
    },
    snapshot: (breakerState) => ({ ...counts, breakerState, errors: { ...errorCounts } }),
  };
}
