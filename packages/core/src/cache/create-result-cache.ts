/**
 * The validation cache, after Duende's OAuth2Introspection pipeline: local tier → shared
 * tier → single-flight validation → store (positive and negative). Upstream faults are
 * never kept. What an entry may say and for how long is `cache-entry-rules.ts`; this
 * instance's tier and the evictions it has heard are `create-local-tier.ts`; the shared
 * tier's calls, each within the request's one store deadline, are `create-store-caller.ts`.
 * A stale entry answers only an outage, never a verdict, and never after an eviction or an
 * inactive answer.
 */
import { UpstreamUnavailableError } from '../errors.js';
import { createSingleFlight } from '../internal/single-flight.js';
import type { TokenGuardLogger } from '../types.js';
import {
  capped,
  type EntryLimits,
  entryFor,
  isCacheEntry,
  isFresh,
  keepForMs,
  staleFallback,
} from './cache-entry-rules.js';
import type {
  CachedResult,
  CacheEntry,
  CacheStore,
  Invalidation,
  Unsubscribe,
} from './cache-store.js';
import { createLocalTier } from './create-local-tier.js';
import { createStoreCaller, type StoreCaller } from './create-store-caller.js';
import { createSubjectRevocations, type SubjectRevocation } from './create-subject-revocations.js';
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

  const limits: EntryLimits = settings;
  const { maxTtlMs, staleIfErrorMs, namespace, isOutage } = settings;
  const store: StoreCaller | undefined =
    settings.store &&
    createStoreCaller(
      settings.store,
      { timeoutMs: settings.storeTimeoutMs, logger: settings.logger },
      counters,
    );
  const revocations = createSubjectRevocations(namespace, store);
  const local = createLocalTier({
    maxEntries: settings.maxEntries,
    maxInactiveEntries: settings.maxInactiveEntries,
    longestSharedEntryMs: maxTtlMs + staleIfErrorMs,
  });

  function onInvalidation(message: Invalidation): void {
    local.drop(message);
    if (
      message.kind === 'subject' &&
      message.issuedBeforeMs !== undefined &&
      message.keepMs !== undefined
    ) {
      revocations.record(message.subjectKey, message.issuedBeforeMs, message.keepMs);
    }
  }

  const subscription: Promise<Unsubscribe | undefined> =
    store === undefined ? Promise.resolve(undefined) : store.subscribe(onInvalidation);

  function keepLocally(key: string, entry: CacheEntry, now: number): void {
    if (entry.result.kind === 'valid') deepFreeze(entry.result.claims);
    local.keep(key, entry, keepForMs(limits, entry, now));
  }

  async function lookup(
    key: string,
    localEntry: CacheEntry | undefined,
    validate: () => Promise<CachedResult>,
    trace: CacheTrace | undefined,
    tokenKey: string | undefined,
  ): Promise<CacheLookup> {
    let stale = localEntry;
    // One store deadline for this whole lookup, however many store calls it makes.
    const budget = store?.budget();
    if (store !== undefined && budget !== undefined) {
      const found = await store.get(key, budget);
      const now = Date.now();
      if (found !== undefined && isCacheEntry(found) && !local.isBuried(key, found)) {
        const entry = capped(limits, found, now);
        // Another instance's verdict, checked against the subject revocations known here.
        if (isFresh(entry, now) && revocations.check(entry.result) === entry.result) {
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
    const epoch = local.epoch();
    const fill = async (): Promise<CacheEntry> => {
      const validatedAtMs = Date.now();
      const result = await revocations.check(await validate(), budget);
      const now = Date.now();
      const entry = entryFor(limits, result, now, validatedAtMs, tokenKey) ?? {
        result,
        freshUntilMs: now,
      };
      if (store !== undefined && budget !== undefined && epoch === local.epoch()) {
        // Within what is left of the budget (nothing once a store call of this request
        // failed): the next instance finds the entry, and a slow store never holds the answer.
        const ttl = keepForMs(limits, entry, now);
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
      const fallback =
        epoch === local.epoch() ? staleFallback(limits, stale, Date.now()) : undefined;
      if (fallback !== undefined && isOutage(error)) {
        counters.servedStale();
        return { ...fallback.result, stale: true };
      }
      throw error;
    }
    if (epoch === local.epoch()) keepLocally(key, entry, Date.now());
    return entry.result;
  }

  return {
    getOrValidate(key, validate, trace, tokenKey) {
      const now = Date.now();
      const entry = local.get(key);
      // A fresh local hit answers without a promise: it is every request's path, and each
      // avoided microtask hop is measurable.
      if (entry !== undefined && isFresh(entry, now)) {
        counters.hit();
        if (trace !== undefined) trace.cacheTier = 'local';
        return entry.result;
      }
      const aliasOf = tokenKey === key ? undefined : tokenKey;
      return shared(key, () => lookup(key, entry, validate, trace, aliasOf), trace);
    },

    async evict(key) {
      counters.eviction();
      const message: Invalidation = { kind: 'key', key, atMs: Date.now() };
      onInvalidation(message);
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
      onInvalidation(message);
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
