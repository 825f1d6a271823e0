/**
 * The validation cache: positive entries bounded by the token's `exp` and `maxTtlMs`,
 * inactive results kept briefly, upstream faults never kept, and single-flight so that
 * concurrent requests for one uncached token share one validation.
 */
import type { CachedResult, CacheStore } from './cache-store.js';

export interface ResultCacheSettings {
  readonly store: CacheStore;
  readonly maxTtlMs: number;
  readonly inactiveTtlMs: number;
}

export interface ResultCacheCounters {
  hit(): void;
  miss(): void;
  coalesced(): void;
}

export interface ResultCache {
  /**
   * The cached result for `key`, or the result of `validate()` — run once however many
   * callers ask for the same key at the same time. A thrown error (an outage) is passed
   * to every waiter and never stored.
   */
  getOrValidate(
    key: string,
    validate: () => Promise<CachedResult>,
  ): CachedResult | Promise<CachedResult>;
}

export function createResultCache(
  settings: ResultCacheSettings | undefined,
  counters: ResultCacheCounters,
): ResultCache {
  // In-flight validations live here rather than in the store: single-flight must work
  // whatever store is plugged in (a shared store cannot hold a promise).
  const inFlight = new Map<string, Promise<CachedResult>>();

  function shared(key: string, run: () => Promise<CachedResult>): Promise<CachedResult> {
    const pending = inFlight.get(key);
    if (pending !== undefined) {
      counters.coalesced();
      return pending;
    }
    const promise = run().finally(() => inFlight.delete(key));
    inFlight.set(key, promise);
    return promise;
  }

  if (settings === undefined) {
    return { getOrValidate: (key, validate) => shared(key, validate) };
  }
  const { store, maxTtlMs, inactiveTtlMs } = settings;

  return {
    getOrValidate(key, validate) {
      const cached = store.get(key);
      // A synchronous store (the default) answers a hit without a promise: the hit path is
      // every request's path, and each avoided microtask hop is measurable.
      if (isThenable(cached)) {
        // Normalised to a native promise, whatever promise library a shared store uses.
        return Promise.resolve(cached).then((value) => settle(key, value, validate));
      }
      return settle(key, cached, validate);
    },
  };

  function settle(
    key: string,
    cached: CachedResult | undefined,
    validate: () => Promise<CachedResult>,
  ): CachedResult | Promise<CachedResult> {
    if (cached !== undefined && isStillValid(cached)) {
      counters.hit();
      return cached;
    }
    counters.miss();
    return shared(key, async () => {
      const result = await validate();
      const ttlMs = ttlFor(result, maxTtlMs, inactiveTtlMs);
      if (ttlMs > 0) await store.set(key, result, ttlMs);
      return result;
    });
  }
}

/** A positive entry never outlives the token's `exp`, nor `maxTtlMs`. */
function ttlFor(result: CachedResult, maxTtlMs: number, inactiveTtlMs: number): number {
  if (result.kind === 'invalid') return inactiveTtlMs;
  const exp = result.claims.exp;
  const untilExpiry = typeof exp === 'number' ? exp * 1000 - Date.now() : maxTtlMs;
  return Math.floor(Math.min(maxTtlMs, untilExpiry));
}

/** A shared store may keep entries a little longer than asked; re-check `exp` on read. */
function isStillValid(result: CachedResult): boolean {
  if (result.kind === 'invalid') return true;
  const exp = result.claims.exp;
  return typeof exp !== 'number' || exp * 1000 > Date.now();
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}
