import { LRUCache } from 'lru-cache';
import { DEFAULTS } from '../options/defaults.js';
import type { CacheEntry, CacheStore, Invalidation } from './cache-store.js';

/**
 * A shared tier held in this process: several guards of one process (one per route
 * group, say) share verdicts and invalidations through it. Bounded by entry count; each
 * entry has its own TTL, checked on read (lru-cache never serves an entry past it).
 *
 * @param maxEntries most entries kept. Default 10000.
 */
export function createMemoryStore(maxEntries: number = DEFAULTS.cacheMaxEntries): CacheStore {
  const lru = new LRUCache<string, CacheEntry>({ max: maxEntries, ttlAutopurge: false });
  const listeners = new Set<(message: Invalidation) => void>();
  const recorded = new LRUCache<string, true>({ max: maxEntries, ttlAutopurge: false });
  const revoked = new LRUCache<string, number>({ max: maxEntries, ttlAutopurge: false });
  return {
    get: (key) => lru.get(key),
    set: (key, entry, ttlMs) => {
      lru.set(key, entry, { ttl: ttlMs });
    },
    delete: (key) => {
      lru.delete(key);
      for (const [other, entry] of lru.entries()) {
        if (entry.tokenKey === key) lru.delete(other);
      }
    },
    deleteSubject: (subjectKey) => {
      for (const [key, entry] of lru.entries()) {
        if (entry.subjectKey === subjectKey) lru.delete(key);
      }
    },
    revokeSubject: (subjectKey, issuedBeforeMs, ttlMs) => {
      const known = revoked.get(subjectKey);
      if (known === undefined || known < issuedBeforeMs) {
        revoked.set(subjectKey, issuedBeforeMs, { ttl: ttlMs });
      }
    },
    subjectRevokedBefore: (subjectKey) => revoked.get(subjectKey),
    add: (key, ttlMs) => {
      if (recorded.has(key)) return false;
      recorded.set(key, true, { ttl: ttlMs });
      return true;
    },
    publish: (message) => {
      for (const listener of listeners) listener(message);
    },
    subscribe: (listener) => {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
