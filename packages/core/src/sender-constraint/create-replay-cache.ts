/**
 * Single use of DPoP proofs (RFC 9449 §11.1): each proof's `jti` is recorded for as long
 * as the proof could be accepted, here and, when the cache store can do it atomically
 * (`CacheStore.add`), in the shared store, so a proof used on one instance cannot be
 * replayed on another. A store that fails or is slow makes the proof unusable (an
 * outage, 503): answering "first use" without knowing would let a replay through.
 */
import type { CacheStore } from '../cache/cache-store.js';
import { UpstreamUnavailableError } from '../errors.js';

export interface ReplayCache {
  /** `true` the first time `key` is seen within `ttlMs`, `false` for a replay. */
  firstUse(key: string, ttlMs: number): boolean | Promise<boolean>;
}

export interface ReplayCacheSettings {
  /** The shared store, when it records keys atomically. */
  readonly store?: Pick<CacheStore, 'add'>;
  /** Deadline of a store call, in milliseconds. */
  readonly storeTimeoutMs: number;
  /** Most keys kept in process; older ones are dropped first once expired. */
  readonly maxEntries: number;
}

export function createReplayCache(settings: ReplayCacheSettings): ReplayCache {
  // Insertion order is expiry order for equal TTLs, so the oldest entries are swept first.
  const seen = new Map<string, number>();
  const add = settings.store?.add?.bind(settings.store);

  function sweep(now: number): void {
    for (const [key, expiresAt] of seen) {
      if (expiresAt > now && seen.size <= settings.maxEntries) break;
      seen.delete(key);
    }
  }

  function firstUseLocally(key: string, ttlMs: number, now: number): boolean {
    const expiresAt = seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    seen.set(key, now + ttlMs);
    if (seen.size > settings.maxEntries || seen.size % 256 === 0) sweep(now);
    return true;
  }

  return {
    firstUse(key, ttlMs) {
      if (!firstUseLocally(key, ttlMs, Date.now())) return false;
      if (add === undefined) return true;
      return withDeadline(
        Promise.resolve().then(() => add(key, ttlMs)),
        settings.storeTimeoutMs,
      );
    },
  };
}

async function withDeadline(call: Promise<boolean>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`store did not answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    const first = await Promise.race([call, deadline]);
    if (typeof first !== 'boolean') throw new Error('store add() did not answer a boolean');
    return first;
  } catch (cause) {
    throw new UpstreamUnavailableError({
      message: 'DPoP replay check: the cache store failed',
      cause,
    });
  } finally {
    clearTimeout(timer);
  }
}
