/**
 * Single use of DPoP proofs (RFC 9449 §11.1): each proof's `jti` is recorded for as long
 * as the proof could be accepted, here and, when the cache store can do it atomically
 * (`CacheStore.add`), in the shared store, so a proof used on one instance cannot be
 * replayed on another. A store that fails or is slow makes the proof unusable (an
 * outage, 503): answering "first use" without knowing would let a replay through.
 * Likewise a full table never forgets a live entry to make room: without a shared store
 * new proofs are refused (503) until the oldest entry expires.
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
  /** Most keys kept in process; only expired ones are ever dropped. */
  readonly maxEntries: number;
}

export function createReplayCache(settings: ReplayCacheSettings): ReplayCache {
  // Insertion order is expiry order for equal TTLs, so the oldest entries are swept first.
  const seen = new Map<string, number>();
  const add = settings.store?.add?.bind(settings.store);

  /** Drops expired entries (oldest first, so it stops at the first live one). */
  function sweep(now: number): void {
    for (const [key, expiresAt] of seen) {
      if (expiresAt > now) break;
      seen.delete(key);
    }
  }

  /** `false` for a replay, `true` when recorded; `undefined` when the table is full of live entries. */
  function firstUseLocally(key: string, ttlMs: number, now: number): boolean | undefined {
    const expiresAt = seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    if (expiresAt !== undefined) seen.delete(key);
    if (seen.size >= settings.maxEntries || seen.size % 256 === 0) sweep(now);
    if (seen.size >= settings.maxEntries) return undefined;
    seen.set(key, now + ttlMs);
    return true;
  }

  return {
    firstUse(key, ttlMs) {
      const now = Date.now();
      const local = firstUseLocally(key, ttlMs, now);
      if (local === false) return false;
      if (local === undefined && add === undefined) throw full(seen, now);
      // Full, with a shared store: the store alone remembers this proof.
      if (add === undefined) return true;
      return withDeadline(
        Promise.resolve().then(() => add(key, ttlMs)),
        settings.storeTimeoutMs,
      );
    },
  };
}

/** 503 until the oldest live entry expires (RFC 9110 §10.2.3 `Retry-After`). */
function full(seen: ReadonlyMap<string, number>, now: number): UpstreamUnavailableError {
  const oldest = seen.values().next().value ?? now;
  const error = new UpstreamUnavailableError({
    message: 'DPoP replay check: every remembered proof is still live, refusing new ones',
  });
  error.retryAfterSec = Math.max(1, Math.ceil((oldest - now) / 1000));
  return error;
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
