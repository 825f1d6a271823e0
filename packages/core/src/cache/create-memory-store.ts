import { LRUCache } from 'lru-cache';
import type { CachedResult, CacheStore } from './cache-store.js';

/**
 * The default store: an in-process lru-cache bounded by entry count, each entry with its
 * own TTL (lru-cache checks it on read, so an entry is never served past it).
 */
export function createMemoryStore(maxEntries: number): CacheStore {
  const lru = new LRUCache<string, CachedResult>({ max: maxEntries, ttlAutopurge: false });
  return {
    get: (key) => lru.get(key),
    set: (key, value, ttlMs) => {
      lru.set(key, value, { ttl: ttlMs });
    },
    delete: (key) => {
      lru.delete(key);
    },
    clear: () => lru.clear(),
  };
}
