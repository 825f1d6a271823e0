/**
 * The shared cache tier's interface. The guard keeps its own in-process LRUs in front of
 * it (local hit first, then the store, then validation); a store makes many instances
 * share verdicts, evictions and, optionally, upstream calls. `@tokenguard/redis` is the
 * implementation on Redis; any object with `get` and `set` is a store.
 *
 * Keys are already hashes of the guard's namespace and the token: a store never sees a
 * token. A store that fails or hangs costs a cache miss, never an error answer: the guard
 * puts a deadline (`cache.storeTimeoutMs`) on every call.
 */
export interface CacheStore {
  /** The entry stored under `key`, or `undefined`. */
  get(key: string): CacheEntry | undefined | Promise<CacheEntry | undefined>;
  /**
   * Stores `entry` for `ttlMs` milliseconds (always positive); the store must not keep it
   * longer. An entry with a `subjectKey` must be found again by `deleteSubject`.
   */
  set(key: string, entry: CacheEntry, ttlMs: number): void | Promise<void>;
  /**
   * Deletes the entry stored under `key`, and every entry stored with `tokenKey === key`
   * (the same token cached under an issuer's own namespace): `guard.evict`.
   */
  delete?(key: string): void | Promise<void>;
  /** Deletes every entry stored with this `subjectKey` (`guard.evictSubject`). */
  deleteSubject?(subjectKey: string): void | Promise<void>;
  /**
   * Records, for `ttlMs` milliseconds, that every token of this subject issued at or before
   * `issuedBeforeMs` (epoch ms) is revoked (`guard.evictSubject` with a revocation): an
   * instance that missed the announcement (started later, or its channel was down) finds
   * it here. Keeps the latest time when called again.
   */
  revokeSubject?(subjectKey: string, issuedBeforeMs: number, ttlMs: number): void | Promise<void>;
  /** The time `revokeSubject` recorded for this subject, or `undefined`. */
  subjectRevokedBefore?(subjectKey: string): number | undefined | Promise<number | undefined>;
  /**
   * Publishes an invalidation to every guard subscribed through this store (on every
   * instance), so each drops its in-process copy. Delivery should take well under 100 ms.
   */
  publish?(message: Invalidation): void | Promise<void>;
  /**
   * Registers the guard's listener for invalidations published by any instance (this one
   * included); returns the function that removes it (`guard.close()` calls it). A store
   * whose channel can drop messages (a lost connection) tells the listener with
   * `{ kind: 'lost' }` as soon as it knows, and `{ kind: 'resumed' }` once it listens again:
   * the guard trusts none of its in-process entries in between, and drops them both times.
   */
  subscribe?(listener: (message: Invalidation) => void): Unsubscribe | Promise<Unsubscribe>;
  /**
   * Opt-in single-flight across instances: runs `fill` (validate, then store) here only
   * when no other instance is already doing it for `key`; otherwise waits for that
   * instance's entry and returns it, or runs `fill` itself after a deadline. An error of
   * `fill` must be passed on unchanged. `timeoutMs` is what is left of the request's store
   * deadline (`cache.storeTimeoutMs` per request): the store commands it sends (the lock
   * itself and every poll) must answer within it in total, or `fill` runs here at once, so
   * a stalled store never holds a request longer than that. A store passes `fill` how long
   * its commands took (`storeMs`, waiting for another instance not counted); without it,
   * the guard counts all of the time before `fill` as store time.
   */
  coalesce?(
    key: string,
    fill: (spent?: { readonly storeMs: number }) => Promise<CacheEntry>,
    options: { readonly timeoutMs: number },
  ): Promise<CacheEntry>;
  /**
   * Atomically records `key` for `ttlMs` milliseconds unless it is already recorded.
   * Resolves `true` when this call recorded it (first use), `false` when it was already
   * there (a replay). Used for DPoP proof `jti`s (RFC 9449 §11.1). Keys are hashes.
   */
  add?(key: string, ttlMs: number): boolean | Promise<boolean>;
  /**
   * Whether the store is reachable, for `guard.health()`: cheap (a connection flag) unless
   * `probe`, then one round trip (the guard bounds it with `cache.storeTimeoutMs`).
   */
  health?(options: { readonly probe: boolean }): boolean | Promise<boolean>;
  /** The store's own counters (e.g. values refused by their integrity check), merged into `guard.metrics().store`. */
  metrics?(): Readonly<Record<string, number>>;
}

/** Removes an invalidation listener. */
export type Unsubscribe = () => void | Promise<void>;

/**
 * A message on the invalidation channel: one token's entry, or every entry of a subject,
 * with the time of the eviction (`atMs`, epoch ms): an entry validated before it is never
 * believed again, wherever it comes from. `lost` and `resumed` are never published: a store
 * tells its own listeners that its channel went down and came back.
 */
export type Invalidation =
  | { readonly kind: 'key'; readonly key: string; readonly atMs?: number }
  | {
      readonly kind: 'subject';
      readonly subjectKey: string;
      readonly atMs?: number;
      /** With a revocation: the subject's tokens issued at or before it are refused… */
      readonly issuedBeforeMs?: number;
      /** …for this many milliseconds. */
      readonly keepMs?: number;
    }
  | { readonly kind: 'lost' }
  | { readonly kind: 'resumed' };

/** What the cache keeps per token: the verdict and when it stops being fresh. */
export interface CacheEntry {
  readonly result: CachedResult;
  /**
   * Epoch milliseconds until which the entry is served as is. After it, and until the
   * entry's TTL, it is only a stale fallback (`cache.staleIfErrorMs`) during an outage.
   */
  readonly freshUntilMs: number;
  /** Hash of the namespace and the token's `sub`, for `evictSubject`; absent without `sub`. */
  readonly subjectKey?: string;
  /**
   * The token's guard-wide key, when the entry is stored under another key (an issuer's own
   * namespace): `evict` reaches the entry through it, whichever issuers are held.
   */
  readonly tokenKey?: string;
  /**
   * When the verdict was obtained (epoch ms, before the validation began): an entry
   * validated before an eviction of its key or subject is refused. Absent: never refused
   * for it (entries of older writers).
   */
  readonly validatedAtMs?: number;
}

/** A validation outcome worth caching: valid claims, or an inactive/invalid token. */
export type CachedResult =
  | {
      readonly kind: 'valid';
      /** Deep-frozen by the cache when the entry is made: handlers cannot change them. */
      readonly claims: Readonly<Record<string, unknown>>;
      readonly strategy: 'introspection' | 'jwt';
      /**
       * Epoch milliseconds after which this verdict must never be served, whatever the
       * cache TTL (e.g. `iat + jwt.maxTokenAgeSec`). The entry's TTL is capped at it and
       * it is re-checked on every read. Absent: no limit beyond `exp`.
       */
      readonly notAfterMs?: number;
      /** With several issuers tried in order: the one that knew the token. */
      readonly issuer?: string;
    }
  | {
      readonly kind: 'invalid';
      /** The stable reason code of the refusal, so a cached refusal answers the same. */
      readonly reason?: string;
    };
