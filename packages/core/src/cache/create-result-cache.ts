/**
 * The validation cache, after Duende's OAuth2Introspection pipeline: local tier → shared
 * tier → single-flight validation → store (positive and negative). Positive entries are
 * bounded by the token's `exp`, a validator's `notAfterMs` and `maxTtlMs`; inactive
 * results live in their own smaller LRU (junk tokens cannot push valid ones out) and
 * briefly; upstream faults are never kept. With `staleIfErrorMs`, a positive entry that
 * went out of date within that window still answers while the identity service is down
 * (an outage, never a verdict), but never past `exp`, nor after an eviction or an
 * inactive answer.
 */
import { LRUCache } from 'lru-cache';
import { UpstreamUnavailableError } from '../errors.js';
import { createSingleFlight } from '../internal/single-flight.js';
import type { TokenGuardLogger } from '../types.js';
import type {
  CachedResult,
  CacheEntry,
  CacheStore,
  Invalidation,
  Unsubscribe,
} from './cache-store.js';
import { createStoreCaller, type StoreCaller } from './create-store-caller.js';
import { createSubjectRevocations, type SubjectRevocation } from './create-subject-revocations.js';
import { createTimeRecords } from './create-time-records.js';
import { deepFreeze } from './deep-freeze.js';
import { hashSubject } from './hash-token.js';

export interface ResultCacheSettings {
  /** Positive entries kept in process. */
  readonly maxEntries: number;
  /** Inactive/invalid results kept in process (a separate, smaller LRU). */
  readonly maxInactiveEntries: number;
  readonly maxTtlMs: number;
  readonly inactiveTtlMs: number;
  /** How long past its freshness a positive entry may answer during an outage; 0 = never. */
  readonly staleIfErrorMs: number;
  /** The shared tier, when there is one. */
  readonly store: CacheStore | undefined;
  /** Deadline of every call to the shared tier, in milliseconds. */
  readonly storeTimeoutMs: number;
  /** The guard's namespace: subject keys are hashed with it. */
  readonly namespace: string;
  readonly logger: TokenGuardLogger;
  /** Whether an error of `validate` is an outage (stale entries may answer it). */
  readonly isOutage: (error: unknown) => boolean;
}

export interface ResultCacheCounters {
  hit(): void;
  sharedHit(): void;
  miss(): void;
  coalesced(): void;
  storeHit(): void;
  storeMiss(): void;
  storeError(): void;
  storeTimeout(): void;
  servedStale(): void;
  eviction(): void;
}

/**
 * Filled in by `getOrValidate` when passed (tracing, per-tier counters): which tier
 * answered, and whether this call waited on another call's lookup.
 */
export interface CacheTrace {
  cacheTier?: 'local' | 'shared' | 'none';
  coalesced?: boolean;
}

/** A cached result; `stale` only on an entry served past its freshness during an outage. */
export type CacheLookup = CachedResult & { readonly stale?: true };

export interface ResultCache {
  /**
   * The cached result for `key`, or the result of `validate()`, run once however many
   * callers ask for the same key at the same time. A thrown error (an outage) is passed
   * to every waiter and never stored.
   */
  getOrValidate(
    key: string,
    validate: () => Promise<CachedResult>,
    trace?: CacheTrace,
    tokenKey?: string,
  ): CacheLookup | Promise<CacheLookup>;
  /**
   * Drops one token's entry here, in the shared tier, and on every subscribed instance:
   * the entry under `key`, and every entry stored with that `tokenKey` (the same token
   * under an issuer's own namespace).
   */
  evict(key: string): Promise<void>;
  /**
   * Drops every entry of a subject here, in the shared tier, and on every instance; with a
   * `revocation`, also refuses the subject's tokens issued before it, on every instance.
   */
  evictSubject(sub: string, revocation?: SubjectRevocation): Promise<void>;
  /** Resolves once the invalidation channel is subscribed (when the store has one). */
  ready(): Promise<void>;
  /**
   * Whether the shared store is reachable: `undefined` without a store or when the store
   * cannot tell. Cheap unless `probe` (then one round trip within the store deadline).
   */
  storeHealth(probe: boolean): Promise<boolean | undefined>;
  /** The shared store's own counters, if it has any. */
  storeMetrics(): Readonly<Record<string, number>> | undefined;
  close(): Promise<void>;
}

export function createResultCache(
  settings: ResultCacheSettings | undefined,
  counters: ResultCacheCounters,
): ResultCache {
  // In-flight lookups live here rather than in a store: single-flight must work whatever
  // store is plugged in (a shared store cannot hold a promise). Nothing is kept after
  // settlement: results live in the tiers, and an outage is never kept.
  const lookups = createSingleFlight<CacheLookup, string>({ onJoin: counters.coalesced });

  function shared(
    key: string,
    run: () => Promise<CacheLookup>,
    trace: CacheTrace | undefined,
  ): Promise<CacheLookup> {
    if (trace !== undefined && lookups.inFlight(key)) {
      trace.coalesced = true;
      trace.cacheTier = 'none';
    }
    return lookups.run(run, key);
  }

  if (settings === undefined) {
    // No cache, but a revoked subject is refused all the same (locally verified JWTs).
    // Kept in this process only (no store): any namespace hashes its subjects consistently.
    const revocations = createSubjectRevocations('', undefined);
    return {
      getOrValidate: (key, validate, trace) => {
        counters.miss();
        if (trace !== undefined) trace.cacheTier = 'none';
        return shared(key, async () => revocations.check(await validate()), trace);
      },
      evict: async () => {},
      async evictSubject(sub, revocation) {
        if (revocation === undefined) return;
        const { issuedBeforeMs, keepMs } = revocation;
        revocations.record(revocations.subjectKey(sub), issuedBeforeMs, keepMs);
      },
      ready: async () => {},
      storeHealth: async () => undefined,
      storeMetrics: () => undefined,
      close: async () => {},
    };
  }

  const { maxTtlMs, inactiveTtlMs, staleIfErrorMs, namespace, isOutage } = settings;
  const positive = new LRUCache<string, CacheEntry>({
    max: settings.maxEntries,
    ttlAutopurge: false,
  });
  const negative = new LRUCache<string, CacheEntry>({
    max: settings.maxInactiveEntries,
    ttlAutopurge: false,
  });
  const store: StoreCaller | undefined =
    settings.store &&
    createStoreCaller(
      settings.store,
      { timeoutMs: settings.storeTimeoutMs, logger: settings.logger },
      counters,
    );
  const revocations = createSubjectRevocations(namespace, store);
  // Bumped by every eviction (local or announced) and every channel gap: a validation that
  // started before it must not store its result, or an evicted verdict could come back.
  let evictionEpoch = 0;
  // While the invalidation channel is down, an eviction elsewhere can be missed: the local
  // tier is neither read nor written, and it is dropped when the channel goes and comes back.
  let channelDown = false;
  // Set once an entry is kept under another key than its token's (several issuers): only
  // then must an eviction look through the local tier for its `tokenKey`.
  let aliased = false;
  // Eviction times of keys and subjects, kept as long as an entry can live in the shared
  // tier: a value validated before its eviction (written back by someone who saved it, or
  // by an instance that had not heard yet) is never believed again.
  const tombstoneTtl = maxTtlMs + staleIfErrorMs + CLOCK_SKEW_MS;
  const keyTombstones = createTimeRecords(TOMBSTONES);
  const subjectTombstones = createTimeRecords(TOMBSTONES);

  function dropLocal(message: Invalidation): void {
    evictionEpoch++;
    if (message.kind === 'lost' || message.kind === 'resumed') {
      channelDown = message.kind === 'lost';
      positive.clear();
      negative.clear();
      return;
    }
    const atMs = message.atMs ?? Date.now();
    if (message.kind === 'key') {
      keyTombstones.raise(message.key, atMs, tombstoneTtl);
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
    subjectTombstones.raise(message.subjectKey, atMs, tombstoneTtl);
    if (message.issuedBeforeMs !== undefined && message.keepMs !== undefined) {
      revocations.record(message.subjectKey, message.issuedBeforeMs, message.keepMs);
    }
    for (const [key, entry] of positive.entries()) {
      if (entry.subjectKey === message.subjectKey) positive.delete(key);
    }
  }

  /** Whether an entry from the shared tier was validated before an eviction that covers it. */
  function isBuried(key: string, entry: CacheEntry): boolean {
    const evictedAt = Math.max(
      keyTombstones.get(key) ?? -1,
      entry.tokenKey === undefined ? -1 : (keyTombstones.get(entry.tokenKey) ?? -1),
      entry.subjectKey === undefined ? -1 : (subjectTombstones.get(entry.subjectKey) ?? -1),
    );
    if (evictedAt < 0) return false;
    // Instances' clocks differ a little: an entry validated just after an eviction elsewhere
    // costs one more validation, rather than an evicted one coming back.
    return entry.validatedAtMs === undefined || entry.validatedAtMs <= evictedAt + CLOCK_SKEW_MS;
  }

  const subscription: Promise<Unsubscribe | undefined> =
    store === undefined ? Promise.resolve(undefined) : store.subscribe(dropLocal);

  /**
   * A new entry for a fresh result, or `undefined` when it must not be cached at all.
   * `validatedAtMs` is when the validation began; `tokenKey` the token's guard-wide key
   * when the entry lives under another one.
   */
  function entryFor(
    result: CachedResult,
    now: number,
    validatedAtMs: number,
    tokenKey: string | undefined,
  ): CacheEntry | undefined {
    const base = { validatedAtMs, ...(tokenKey === undefined ? {} : { tokenKey }) };
    if (result.kind === 'invalid') {
      return inactiveTtlMs > 0 ? { result, freshUntilMs: now + inactiveTtlMs, ...base } : undefined;
    }
    const freshUntilMs = Math.min(now + maxTtlMs, hardLimitMs(result));
    if (freshUntilMs <= now) return undefined;
    deepFreeze(result.claims);
    const sub = result.claims.sub;
    return typeof sub === 'string'
      ? { result, freshUntilMs, subjectKey: hashSubject(namespace, sub), ...base }
      : { result, freshUntilMs, ...base };
  }

  /** How long the store may keep an entry: its freshness, plus the stale window for valid ones. */
  function ttlFor(entry: CacheEntry, now: number): number {
    if (entry.result.kind === 'invalid') return entry.freshUntilMs - now;
    const end = Math.min(entry.freshUntilMs + staleIfErrorMs, hardLimitMs(entry.result));
    return Math.floor(end - now);
  }

  function keepLocally(key: string, entry: CacheEntry, now: number): void {
    if (channelDown) return;
    if (entry.tokenKey !== undefined) aliased = true;
    const ttl = ttlFor(entry, now);
    if (entry.result.kind === 'invalid') {
      // An inactive answer ends any stale fallback for this token, cached or not.
      positive.delete(key);
      if (ttl > 0) negative.set(key, entry, { ttl });
    } else if (ttl > 0) {
      negative.delete(key);
      positive.set(key, entry, { ttl });
    }
  }

  function isFresh(entry: CacheEntry, now: number): boolean {
    if (now >= entry.freshUntilMs) return false;
    // A shared store may keep entries a little longer than asked: re-check the hard limits.
    return entry.result.kind === 'invalid' || now < hardLimitMs(entry.result);
  }

  /** A positive entry past its freshness that may still answer an outage. */
  function staleFallback(entry: CacheEntry | undefined, now: number): CacheEntry | undefined {
    if (staleIfErrorMs === 0 || entry === undefined || entry.result.kind !== 'valid') return;
    if (now >= entry.freshUntilMs + staleIfErrorMs || now >= hardLimitMs(entry.result)) return;
    return entry;
  }

  async function lookup(
    key: string,
    local: CacheEntry | undefined,
    validate: () => Promise<CachedResult>,
    trace: CacheTrace | undefined,
    tokenKey: string | undefined,
  ): Promise<CacheLookup> {
    let stale = local;
    // One store deadline for this whole lookup, however many store calls it makes.
    const budget = store?.budget();
    if (store !== undefined && budget !== undefined) {
      const found = await store.get(key, budget);
      const now = Date.now();
      if (found !== undefined && isCacheEntry(found) && !isBuried(key, found)) {
        const entry = capped(found, now);
        // Another instance's verdict, checked against the subject revocations known here.
        if (isFresh(entry, now) && revocations.check(entry.result) === entry.result) {
          if (entry.result.kind === 'valid') deepFreeze(entry.result.claims);
          keepLocally(key, entry, now);
          counters.sharedHit();
          counters.hit();
          if (trace !== undefined) trace.cacheTier = 'shared';
          return entry.result;
        }
        if (
          entry.result.kind === 'valid' &&
          (stale === undefined || entry.freshUntilMs > stale.freshUntilMs)
        ) {
          stale = entry;
        }
      }
    }
    counters.miss();
    if (trace !== undefined) trace.cacheTier = 'none';
    const epoch = evictionEpoch;
    const fill = async (): Promise<CacheEntry> => {
      const validatedAtMs = Date.now();
      const result = await revocations.check(await validate(), budget);
      const now = Date.now();
      const entry = entryFor(result, now, validatedAtMs, tokenKey) ?? {
        result,
        freshUntilMs: now,
      };
      if (store !== undefined && budget !== undefined && epoch === evictionEpoch) {
        // Within what is left of the budget (nothing once a store call of this request
        // failed): the next instance finds the entry, and a slow store never holds the answer.
        const ttl = ttlFor(entry, now);
        if (ttl > 0) await store.set(key, entry, ttl, budget);
        // Not cached, but an older positive entry must not outlive this refusal.
        else if (result.kind === 'invalid') await store.delete(key, budget);
      }
      return entry;
    };
    let entry: CacheEntry;
    try {
      entry =
        store === undefined || budget === undefined
          ? await fill()
          : await store.coalesce(key, fill, budget);
    } catch (error) {
      const fallback = epoch === evictionEpoch ? staleFallback(stale, Date.now()) : undefined;
      if (fallback !== undefined && isOutage(error)) {
        counters.servedStale();
        return { ...fallback.result, stale: true };
      }
      throw error;
    }
    const now = Date.now();
    if (epoch === evictionEpoch) {
      if (entry.result.kind === 'valid') deepFreeze(entry.result.claims);
      keepLocally(key, entry, now);
    }
    return entry.result;
  }

  /** This reader's own `maxTtlMs` also bounds an entry another instance wrote. */
  function capped(entry: CacheEntry, now: number): CacheEntry {
    return entry.freshUntilMs <= now + maxTtlMs
      ? entry
      : { ...entry, freshUntilMs: now + maxTtlMs };
  }

  return {
    getOrValidate(key, validate, trace, tokenKey) {
      const now = Date.now();
      const local = channelDown ? undefined : (positive.get(key) ?? negative.get(key));
      // A fresh local hit answers without a promise: it is every request's path, and each
      // avoided microtask hop is measurable.
      if (local !== undefined && isFresh(local, now)) {
        counters.hit();
        if (trace !== undefined) trace.cacheTier = 'local';
        return local.result;
      }
      const aliasOf = tokenKey === key ? undefined : tokenKey;
      return shared(key, () => lookup(key, local, validate, trace, aliasOf), trace);
    },

    async evict(key) {
      counters.eviction();
      const message: Invalidation = { kind: 'key', key, atMs: Date.now() };
      dropLocal(message);
      if (store !== undefined) {
        // Delete, then announce: an instance that hears the announcement and reads the
        // shared tier again must find nothing there (announced first, it could re-read the
        // entry and keep it until maxTtlMs). Announced even when the delete failed: the
        // others then drop their copies and refuse the entry by its eviction time.
        const deleted = await store.delete(key);
        const published = await store.publish(message);
        if (!deleted || !published) throw unconfirmed();
      }
    },

    async evictSubject(sub, revocation) {
      counters.eviction();
      const message: Invalidation = {
        kind: 'subject',
        subjectKey: hashSubject(namespace, sub),
        atMs: Date.now(),
        ...revocation,
      };
      dropLocal(message);
      if (store !== undefined) {
        // The revocation first (an instance that reads the shared tier afterwards finds it),
        // then delete, then announce (as `evict`).
        const recorded =
          revocation === undefined ||
          (await store.revokeSubject(
            message.subjectKey,
            revocation.issuedBeforeMs,
            revocation.keepMs,
          ));
        const deleted = await store.deleteSubject(message.subjectKey);
        const published = await store.publish(message);
        if (!recorded || !deleted || !published) throw unconfirmed();
      }
    },

    async ready() {
      await subscription;
    },

    storeHealth: async (probe) => (store === undefined ? undefined : store.health(probe)),

    storeMetrics: () => settings.store?.metrics?.(),

    async close() {
      const unsubscribe = await subscription;
      await unsubscribe?.();
    },
  };
}

/** How far instances' clocks may differ, in milliseconds, when eviction times are compared. */
const CLOCK_SKEW_MS = 1000;
/** Most eviction times kept per kind (keys, subjects); the oldest go first. */
const TOMBSTONES = 100_000;

/**
 * An eviction that reached this instance but not the shared store (or not the other
 * instances): the caller must know, so a revocation webhook can answer 503 and be retried.
 */
function unconfirmed(): UpstreamUnavailableError {
  return new UpstreamUnavailableError({
    message:
      'the shared cache store did not confirm the eviction: other instances may still serve the entry until it expires; retry',
  });
}

/** The earliest of the token's `exp` and the validator's `notAfterMs`, in epoch ms. */
function hardLimitMs(result: Extract<CachedResult, { kind: 'valid' }>): number {
  const exp = result.claims.exp;
  const expMs = typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY;
  return Math.min(expMs, result.notAfterMs ?? Number.POSITIVE_INFINITY);
}

/** Any store can be plugged in: what it returns is checked before it is believed. */
function isCacheEntry(value: unknown): value is CacheEntry {
  const entry = value as CacheEntry | null;
  if (typeof entry !== 'object' || entry === null) return false;
  if (typeof entry.freshUntilMs !== 'number' || typeof entry.result !== 'object') return false;
  const result = entry.result as CachedResult | null;
  if (result === null) return false;
  if (result.kind === 'invalid') return true;
  return (
    result.kind === 'valid' &&
    typeof result.claims === 'object' &&
    result.claims !== null &&
    result.claims.active === true &&
    (result.strategy === 'introspection' || result.strategy === 'jwt') &&
    (result.notAfterMs === undefined || typeof result.notAfterMs === 'number') &&
    (entry.validatedAtMs === undefined || typeof entry.validatedAtMs === 'number') &&
    (entry.tokenKey === undefined || typeof entry.tokenKey === 'string')
  );
}
