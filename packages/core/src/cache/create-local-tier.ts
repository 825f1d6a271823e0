/**
 * This instance's tier of the validation cache, and what it has heard of evictions.
 * Inactive results live in their own, smaller LRU, so junk tokens cannot push valid ones
 * out. The eviction time of every key and subject heard is kept as long as an entry can
 * live in the shared tier, so a value validated before its eviction (written back by
 * someone who saved it, or by an instance that had not heard yet) is never believed again.
 */
import { LRUCache } from 'lru-cache';
import type { CacheEntry, Invalidation } from './cache-store.js';
import { createTimeRecords } from './create-time-records.js';

export interface LocalTierSettings {
  /** Positive entries kept. */
  readonly maxEntries: number;
  /** Inactive results kept. */
  readonly maxInactiveEntries: number;
  /**
   * The longest an entry can live in the shared tier: an eviction time is kept that long,
   * plus the clock skew allowed between instances.
   */
  readonly longestSharedEntryMs: number;
}

export interface LocalTier {
  /** The entry under `key`; nothing while the invalidation channel is down. */
  get(key: string): CacheEntry | undefined;
  /** Keeps `entry` for `ttlMs` (nothing while the channel is down). */
  keep(key: string, entry: CacheEntry, ttlMs: number): void;
  /** Applies an invalidation, made here or heard on the channel. */
  drop(message: Invalidation): void;
  /** Whether an entry from the shared tier was validated before an eviction that covers it. */
  isBuried(key: string, entry: CacheEntry): boolean;
  /**
   * Changes with every eviction and every channel gap: a validation that started before
   * a change must not keep its result, or an evicted verdict could come back.
   */
  epoch(): number;
}

/** How far instances' clocks may differ, in milliseconds, when eviction times are compared. */
export const CLOCK_SKEW_MS = 1000;
/** Most eviction times kept per kind (keys, subjects); the oldest go first. */
const EVICTIONS_KEPT = 100_000;

export function createLocalTier(settings: LocalTierSettings): LocalTier {
  const positive = new LRUCache<string, CacheEntry>({
    max: settings.maxEntries,
    ttlAutopurge: false,
  });
  const negative = new LRUCache<string, CacheEntry>({
    max: settings.maxInactiveEntries,
    ttlAutopurge: false,
  });
  const keyEvictions = createTimeRecords(EVICTIONS_KEPT);
  const subjectEvictions = createTimeRecords(EVICTIONS_KEPT);
  const evictionMemoryMs = settings.longestSharedEntryMs + CLOCK_SKEW_MS;
  let epoch = 0;
  // While the invalidation channel is down, an eviction elsewhere can be missed: the tier
  // is neither read nor written, and it is emptied when the channel goes and comes back.
  let channelDown = false;
  // Set once an entry is kept under another key than its token's (several issuers): only
  // then must an eviction look through the tier for its `tokenKey`.
  let aliased = false;

  return {
    get: (key) => (channelDown ? undefined : (positive.get(key) ?? negative.get(key))),

    keep(key, entry, ttlMs) {
      if (channelDown) return;
      if (entry.tokenKey !== undefined) aliased = true;
      if (entry.result.kind === 'invalid') {
        // An inactive answer ends any stale fallback for this token, cached or not.
        positive.delete(key);
        if (ttlMs > 0) negative.set(key, entry, { ttl: ttlMs });
      } else if (ttlMs > 0) {
        negative.delete(key);
        positive.set(key, entry, { ttl: ttlMs });
      }
    },

    drop(message) {
      epoch++;
      if (message.kind === 'lost' || message.kind === 'resumed') {
        channelDown = message.kind === 'lost';
        positive.clear();
        negative.clear();
        return;
      }
      const atMs = message.atMs ?? Date.now();
      if (message.kind === 'key') {
        keyEvictions.raise(message.key, atMs, evictionMemoryMs);
        positive.delete(message.key);
        negative.delete(message.key);
        if (!aliased) return;
        for (const tier of [positive, negative]) {
          for (const [key, entry] of tier.entries()) {
            if (entry.tokenKey === message.key) tier.delete(key);
          }
        }
        return;
      }
      subjectEvictions.raise(message.subjectKey, atMs, evictionMemoryMs);
      for (const [key, entry] of positive.entries()) {
        if (entry.subjectKey === message.subjectKey) positive.delete(key);
      }
    },

    isBuried(key, entry) {
      const evictedAt = Math.max(
        keyEvictions.get(key) ?? -1,
        entry.tokenKey === undefined ? -1 : (keyEvictions.get(entry.tokenKey) ?? -1),
        entry.subjectKey === undefined ? -1 : (subjectEvictions.get(entry.subjectKey) ?? -1),
      );
      if (evictedAt < 0) return false;
      // Instances' clocks differ a little: an entry validated just after an eviction
      // elsewhere costs one more validation, rather than an evicted one coming back.
      return entry.validatedAtMs === undefined || entry.validatedAtMs <= evictedAt + CLOCK_SKEW_MS;
    },

    epoch: () => epoch,
  };
}
