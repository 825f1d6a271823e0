/**
 * `createRedisStore`: tokenguard's shared cache tier on Redis, through the official
 * `redis` package (node-redis v6) — a plain client, a cluster or a sentinel client, owned
 * and connected by the application.
 *
 * Layout (every name under `keyPrefix`, default `tokenguard:`):
 * - `e:<key>`   an entry: HMAC-authenticated compact value, `PX` TTL from the guard (never
 *               past the token's `exp`; inactive results short);
 * - `s:{<subjectKey>}` a set of the entry keys of one subject, for `evictSubject` (the
 *               subject is its hash tag: one slot per subject on a cluster);
 * - `t:{<tokenKey>}` a set of the entry keys of one token under issuers' own namespaces,
 *               for `evict` (it reaches them whichever issuers the evicting instance holds);
 * - `r:{<subjectKey>}` a subject's revocation time (tokens issued before it are refused),
 *               authenticated like the values, kept as long as the guard asks;
 * - `l:<key>`   the opt-in single-flight lock (`SET NX PX`, released by its owner only);
 * - channel `invalidations`: evictions (and "filled" notices for lock waiters), each
 *   authenticated like the values; sharded pub/sub (`SPUBLISH`) on a cluster.
 *
 * Every command touches one key, so each goes to one slot's master on a cluster; the design
 * for a cluster (why the index is written before the entry, what a failover can lose) is in
 * the package README.
 */
import { randomUUID } from 'node:crypto';
import type { CacheEntry, CacheStore, Invalidation, Unsubscribe } from '@tokenguard/core';
import { type ChannelMessage, createEntryCodec, MAX_VALUE_BYTES } from './create-entry-codec.js';

/** What the store needs of a node-redis v6 client, cluster or sentinel client. */
export interface RedisClientLike {
  readonly isReady: boolean;
  get(key: string): Promise<unknown>;
  /** GETRANGE: values are read up to a size limit, so a planted huge value is never transferred. */
  getRange(key: string, start: number, end: number): Promise<unknown>;
  set(
    key: string,
    value: string,
    options?: {
      expiration?: { type: 'PX'; value: number };
      condition?: 'NX';
    },
  ): Promise<unknown>;
  del(keys: string | string[]): Promise<unknown>;
  sAdd(key: string, members: string | string[]): Promise<unknown>;
  sMembers(key: string): Promise<unknown>;
  pExpire(key: string, ms: number, mode?: 'NX' | 'XX' | 'GT' | 'LT'): Promise<unknown>;
  publish(channel: string, message: string): Promise<unknown>;
  /** Sharded publish (`SPUBLISH`, Redis 7): used on a cluster. */
  sPublish?(channel: string, message: string): Promise<unknown>;
  /** node-redis's cluster client lists its masters; the store uses it to tell a cluster. */
  readonly masters?: readonly unknown[];
  eval(script: string, options?: { keys?: string[]; arguments?: string[] }): Promise<unknown>;
  ping?(): Promise<unknown>;
  duplicate(): RedisSubscriberLike;
}

/** A connection in subscriber mode (node-redis needs one of its own for SUBSCRIBE). */
export interface RedisSubscriberLike {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  subscribe(
    channel: string,
    listener: (message: string, channel: string) => unknown,
  ): Promise<unknown>;
  /** Sharded subscribe (`SSUBSCRIBE`, Redis 7): used on a cluster. */
  sSubscribe?(
    channel: string,
    listener: (message: string, channel: string) => unknown,
  ): Promise<unknown>;
  close(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  /**
   * Connection events: `end`/`reconnecting` (messages may be missed from now on) and
   * `ready` (subscribed again; node-redis resubscribes before it says ready).
   */
  on(event: 'end' | 'reconnecting' | 'ready', listener: () => void): unknown;
}

export interface RedisStoreOptions {
  /** A connected node-redis v6 client (`createClient`, `createCluster` or `createSentinel`). */
  readonly client: RedisClientLike;
  /**
   * The HMAC-SHA256 key that authenticates every value and message: at least 32 bytes, the
   * same on every instance, never stored in Redis. A value that fails its check is a miss.
   */
  readonly hmacKey: string | Uint8Array;
  /** Prefix of every key and of the channel. Default `tokenguard:`. */
  readonly keyPrefix?: string;
  /**
   * The connection that subscribes to invalidations. Default: `client.duplicate()`,
   * connected, and closed again when the last guard closes.
   */
  readonly subscriber?: RedisSubscriberLike;
  /**
   * Opt-in single-flight across instances: the first instance to miss a token takes a
   * short lock and asks the identity service; the others wait for its entry, and ask
   * themselves when it is slow or gone. Default off.
   */
  readonly lock?: boolean | RedisLockOptions;
  /**
   * How invalidations travel. `'sharded'`: `SPUBLISH` / `SSUBSCRIBE` (Redis 7): on a cluster
   * the messages stay within the one shard that owns the channel's slot instead of being
   * broadcast over the cluster bus to every node. `'classic'`: `PUBLISH` / `SUBSCRIBE`.
   * Default: `'sharded'` for a cluster client (`createCluster`), `'classic'` otherwise. Set
   * `'classic'` for a cluster running Redis 6 (no sharded pub/sub). Every instance must use
   * the same mode: the two kinds of channel do not hear each other.
   */
  readonly pubSub?: 'sharded' | 'classic';
  /** Where a value that fails its check, or a failing subscriber, is reported (once). */
  readonly logger?: { warn(message: string): void };
}

export interface RedisLockOptions {
  /** Longest life of a lock, in milliseconds (a crashed holder frees it then). Default 5000. */
  readonly ttlMs?: number;
  /**
   * Longest wait for the holder's entry before asking ourselves, in milliseconds, counted from
   * when the holder took the lock (a lock older than this is not waited on). Default 1000.
   */
  readonly waitMs?: number;
  /** Interval of the fallback poll while waiting, in milliseconds. Default 50. */
  readonly pollMs?: number;
}

/** Counters of the store, in `guard.metrics().store`. */
// A type alias, not an interface: it must be assignable to `CacheStore['metrics']`'s record.
export type RedisStoreMetrics = {
  /** Entries found / not found. */
  readonly hits: number;
  readonly misses: number;
  /** Values refused by their HMAC check or shape (forged, copied, corrupted): misses too. */
  readonly rejectedValues: number;
  /** Channel messages refused by their HMAC check. */
  readonly rejectedMessages: number;
  /** Commands that failed (the guard also counts them, with its deadline, as `storeErrors`). */
  readonly errors: number;
  /** Entries deleted by `evict` / `evictSubject`. */
  readonly evictions: number;
  /** Single-flight: locks taken, waits for another instance, waits that gave up and asked themselves. */
  readonly lockAcquired: number;
  readonly lockWaits: number;
  readonly lockFallbacks: number;
};

export type RedisStore = Omit<CacheStore, 'metrics'> & {
  metrics(): RedisStoreMetrics;
  /** Stops the subscriber this store created (the application's client stays open). */
  close(): Promise<void>;
};

/**
 * Takes the lock (`SET NX PX`) and answers `OK`, or answers the current lock's remaining TTL
 * in milliseconds (its age follows from it), in one round trip.
 */
const TAKE_LOCK = `if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'OK' end
return redis.call('PTTL', KEYS[1])`;

/** Compare-and-delete: only the holder releases a lock (another may hold it after expiry). */
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** How often a store that lost its channel probes it until it hears itself again, in ms. */
const PROBE_INTERVAL_MS = 100;

/**
 * Adds an entry key to an index (a subject's, or a token's). The index lives as long as its longest entry: a
 * TTL is set if it has none, extended if this entry lives longer (Redis 7 PEXPIRE NX / GT).
 */
const INDEX_ENTRY = `redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2], 'NX')
redis.call('PEXPIRE', KEYS[1], ARGV[2], 'GT')
return 1`;

/**
 * Creates the shared store. Pass it as `cache.store` to every guard of every instance.
 *
 * @example
 * const client = await createClient({ url: process.env.REDIS_URL }).on('error', console.error).connect();
 * const store = createRedisStore({ client, hmacKey: process.env.TOKENGUARD_CACHE_KEY! });
 * app.use(tokenGuard({ introspection: { … }, cache: { store } }));
 */
export function createRedisStore(options: RedisStoreOptions): RedisStore {
  const {
    client,
    hmacKey,
    keyPrefix = 'tokenguard:',
    subscriber: givenSubscriber,
    logger = { warn: (message: string) => console.warn(`[tokenguard] ${message}`) },
  } = checkOptions(options);
  const lock = normalizeLock(options.lock);
  const isCluster = Array.isArray(client.masters);
  const sharded = (options.pubSub ?? (isCluster ? 'sharded' : 'classic')) === 'sharded';
  const codec = createEntryCodec(
    typeof hmacKey === 'string' ? Buffer.from(hmacKey, 'utf8') : hmacKey,
  );
  const channel = `${keyPrefix}invalidations`;
  const entryKey = (key: string) => `${keyPrefix}e:${key}`;
  // The subject's index carries the subject as its hash tag: on a cluster, every key about
  // one subject lives in one slot, so it is written and read by single-slot commands and
  // scripts. Entries are keyed by token hash alone and spread over every slot.
  const subjectSetKey = (subjectKey: string) => `${keyPrefix}s:{${subjectKey}}`;
  // The same for a token's entries under issuers' namespaces, tagged by the guard-wide key.
  const tokenSetKey = (tokenKey: string) => `${keyPrefix}t:{${tokenKey}}`;
  const revocationKey = (subjectKey: string) => `${keyPrefix}r:{${subjectKey}}`;
  const lockKey = (key: string) => `${keyPrefix}l:${key}`;

  const counts = {
    hits: 0,
    misses: 0,
    rejectedValues: 0,
    rejectedMessages: 0,
    errors: 0,
    evictions: 0,
    lockAcquired: 0,
    lockWaits: 0,
    lockFallbacks: 0,
  };
  const warned = new Set<string>();
  function warnOnce(kind: string, message: string): void {
    if (warned.has(kind)) return;
    warned.add(kind);
    logger.warn(message);
  }

  /** Fails at once while the client is reconnecting: a known-down Redis costs no latency. */
  async function command<T>(run: () => Promise<T>): Promise<T> {
    if (!client.isReady) {
      counts.errors++;
      throw new Error('the Redis client is not ready (connecting or reconnecting)');
    }
    try {
      return await run();
    } catch (error) {
      counts.errors++;
      throw error;
    }
  }

  /** Runs a command under the caller's deadline (the lock's commands get the guard's). */
  function within<T>(ms: number, run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        counts.errors++;
        reject(new Error(`no answer from Redis within ${ms} ms`));
      }, ms);
      command(run).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async function read(key: string): Promise<CacheEntry | undefined> {
    const redisKey = entryKey(key);
    // One byte past the limit: a longer value is refused without being transferred whole.
    const value = await command(() => client.getRange(redisKey, 0, MAX_VALUE_BYTES));
    if (value === null || value === undefined || value === '') {
      counts.misses++;
      return undefined;
    }
    const entry = typeof value === 'string' ? codec.decode(redisKey, value) : undefined;
    if (entry === undefined) {
      counts.rejectedValues++;
      warnOnce(
        'rejected',
        'a cached value in Redis failed its integrity check and was ignored (written by something without the HMAC key, or with another key)',
      );
      return undefined;
    }
    counts.hits++;
    return entry;
  }

  // --- invalidation channel -------------------------------------------------------------
  const listeners = new Set<(message: Invalidation) => void>();
  const fillWaiters = new Map<string, Set<() => void>>();
  let subscriber: RedisSubscriberLike | undefined;
  let subscribing: Promise<void> | undefined;

  function onMessage(raw: string): void {
    const message = codec.decodeMessage(channel, raw);
    if (message === undefined) {
      counts.rejectedMessages++;
      warnOnce(
        'rejected-message',
        'a message on the invalidation channel failed its integrity check and was ignored',
      );
      return;
    }
    if (message.kind === 'filled') {
      if (message.key === probe) channelBack();
      for (const wake of fillWaiters.get(message.key) ?? []) wake();
      return;
    }
    for (const listener of listeners) listener(message);
  }

  // Whether the channel went down since it last listened: every message published in
  // between is lost to this instance, so its guards must not trust their local tiers.
  let gap = false;
  function channelLost(): void {
    if (gap || subscriber === undefined) return;
    gap = true;
    for (const listener of listeners) listener({ kind: 'lost' });
    startProbing();
  }

  // The channel is back when this store hears its own probe on it: a connection that is
  // "ready" again, or a cluster that moved its sharded subscription to a promoted master,
  // may not be subscribed yet. A probe is a "filled" notice for a key nobody waits for.
  let probe: string | undefined;
  let probing: ReturnType<typeof setInterval> | undefined;
  function sendProbe(): void {
    probe = `probe:${randomUUID()}`;
    send({ kind: 'filled', key: probe }).catch(() => {});
  }
  function startProbing(): void {
    if (probing !== undefined) return;
    sendProbe();
    probing = setInterval(sendProbe, PROBE_INTERVAL_MS);
    probing.unref?.();
  }
  function stopProbing(): void {
    clearInterval(probing);
    probing = undefined;
    probe = undefined;
  }
  function channelBack(): void {
    stopProbing();
    if (!gap) return;
    gap = false;
    for (const listener of listeners) listener({ kind: 'resumed' });
  }

  function ensureSubscribed(): Promise<void> {
    subscribing ??= (async () => {
      const connection = givenSubscriber ?? client.duplicate();
      connection.on('end', channelLost);
      connection.on('reconnecting', channelLost);
      connection.on('ready', () => {
        if (gap) sendProbe();
      });
      // A cluster client reports its nodes' connections as node-* events: its sharded
      // subscription lives on one of them, and moves (without an error) when that master
      // hands over to its replica. Any of them counts as a possible gap, until the probe.
      const nodeEvents = connection as { on(event: string, listener: () => void): unknown };
      for (const event of ['node-error', 'node-reconnecting', 'node-disconnect', 'node-connect']) {
        nodeEvents.on(event, channelLost);
      }
      // node-redis emits reconnection errors as events; unhandled, they would crash the process.
      connection.on('error', (error) => {
        channelLost();
        warnOnce(
          'subscriber',
          `the Redis invalidation subscriber failed: ${describe(error)}; it reconnects by itself`,
        );
      });
      if (!connection.isOpen) await connection.connect();
      if (sharded) {
        if (connection.sSubscribe === undefined) {
          throw new Error(
            'the subscriber connection has no sSubscribe (sharded pub/sub needs node-redis v5+ and Redis 7)',
          );
        }
        await connection.sSubscribe(channel, onMessage);
      } else {
        await connection.subscribe(channel, onMessage);
      }
      subscriber = connection;
    })().catch((error: unknown) => {
      subscribing = undefined;
      throw error;
    });
    return subscribing;
  }

  function send(message: ChannelMessage): Promise<unknown> {
    const value = codec.encodeMessage(channel, message);
    return sharded && client.sPublish !== undefined
      ? client.sPublish(channel, value)
      : client.publish(channel, value);
  }

  /** Publishes a message; resolves with the number of clients that received it on that node. */
  async function publish(message: ChannelMessage): Promise<unknown> {
    return command(() => send(message));
  }

  // --- single-flight ----------------------------------------------------------------------
  // Writes still under way, by entry key: the guard awaits a write only within what is left
  // of its request's deadline, so a lock holder may answer before its entry is in Redis. Its
  // "filled" notice and release wait for the write (in the background): a waiter woken by
  // the notice finds the entry, instead of missing it and asking the identity service too.
  const writing = new Map<string, Promise<unknown>>();
  /** Resolves `true` when the holder's "filled" notice arrives, `false` after `ms`. */
  function waitForFill(key: string, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiters = fillWaiters.get(key) ?? new Set();
      fillWaiters.set(key, waiters);
      const done = (notified: boolean) => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (waiters.size === 0) fillWaiters.delete(key);
        resolve(notified);
      };
      const wake = () => done(true);
      const timer = setTimeout(() => done(false), ms);
      waiters.add(wake);
    });
  }

  async function coalesce(
    key: string,
    fill: (spent?: { readonly storeMs: number }) => Promise<CacheEntry>,
    { timeoutMs }: { readonly timeoutMs: number },
  ): Promise<CacheEntry> {
    if (lock === undefined) return fill();
    const name = lockKey(key);
    const owner = randomUUID();
    // `timeoutMs` is what is left of the request's store deadline: every command here
    // spends from it, and once one fails or it is spent this instance asks by itself at
    // once. A stalled or switching Redis (a failover, `CLIENT PAUSE`) adds no more than that
    // to a request, however many commands the wait would have taken. Waiting for another
    // instance's notice is not store time (it is that instance's upstream call).
    let storeMs = 0;
    const timed = async <T>(run: () => Promise<T>): Promise<T | null> => {
      const left = timeoutMs - storeMs;
      if (left <= 0) return null;
      const started = Date.now();
      try {
        return await within(left, run);
      } catch {
        storeMs = timeoutMs;
        return null;
      } finally {
        if (storeMs < timeoutMs) storeMs += Date.now() - started;
      }
    };
    const fillHere = () => {
      counts.lockFallbacks++;
      return fill({ storeMs: Math.min(storeMs, timeoutMs) });
    };
    // Taken ('OK'), or how long the current holder's lock has left (its age follows).
    const taken = await timed(() =>
      client.eval(TAKE_LOCK, { keys: [name], arguments: [owner, String(lock.ttlMs)] }),
    );
    if (taken === null) return fillHere();
    if (taken === 'OK') {
      counts.lockAcquired++;
      try {
        return await fill({ storeMs });
      } finally {
        // Not awaited: the entry is answered now; a notice or release that never arrives
        // only makes the waiters poll until their deadline.
        void (async () => {
          const write = writing.get(key);
          if (write !== undefined) {
            await Promise.race([write.catch(() => {}), sleep(lock.waitMs)]);
          }
          await Promise.allSettled([
            within(timeoutMs, () => send({ kind: 'filled', key })),
            within(timeoutMs, () =>
              client.eval(RELEASE_LOCK, { keys: [name], arguments: [owner] }),
            ),
          ]);
        })();
      }
    }
    counts.lockWaits++;
    // Another instance is asking: wait for its entry (woken by its "filled" notice, or by
    // the poll when a notice is lost) until `waitMs` after the lock was TAKEN, not after we
    // arrived: a lock left behind by a holder that died, or whose release was lost in a
    // failover, is older than that and is not waited on at all.
    const leftMs = Number(taken);
    const ageMs = Number.isFinite(leftMs) && leftMs > 0 ? lock.ttlMs - leftMs : lock.ttlMs;
    const deadline = Date.now() + lock.waitMs - ageMs;
    void ensureSubscribed().catch(() => {});
    for (;;) {
      const entry = await timed(() => read(key));
      if (entry === null) break;
      if (entry !== undefined && entry.freshUntilMs > Date.now()) return entry;
      const left = deadline - Date.now();
      if (left <= 0) break;
      // The holder announced its fill and there is no usable entry (nothing cacheable, or
      // its write failed): it will not come; ask now.
      if (await waitForFill(key, Math.min(left, lock.pollMs))) {
        const last = await timed(() => read(key));
        if (last != null && last.freshUntilMs > Date.now()) return last;
        break;
      }
      const holder = await timed(() => client.get(name));
      if (holder === null) {
        // Released (or expired) without a usable entry (an outage, or nothing cacheable).
        const last = await timed(() => read(key));
        if (last != null && last.freshUntilMs > Date.now()) return last;
        break;
      }
    }
    return fillHere();
  }

  async function readTime(name: string): Promise<number | undefined> {
    const value = await command(() => client.getRange(name, 0, MAX_VALUE_BYTES));
    if (typeof value !== 'string' || value === '') return undefined;
    const time = codec.decodeTime(name, value);
    if (time === undefined) counts.rejectedValues++;
    return time;
  }

  /** Deletes every entry an index set names, then the set. */
  async function deleteIndexed(set: string): Promise<void> {
    const members = await command(() => client.sMembers(set));
    const keys = [...((members as Iterable<string> | null) ?? [])];
    // One DEL per key: on a cluster the entries live in different slots.
    const deleted = await command(() => Promise.all(keys.map((k) => client.del(k))));
    counts.evictions += deleted.reduce<number>((sum, n) => sum + (Number(n) || 0), 0);
    if (keys.length > 0) await command(() => client.del(set));
  }

  /** Writes an entry: its indexes first, then the entry. */
  async function writeEntry(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    const redisKey = entryKey(key);
    const ttl = Math.max(1, Math.floor(ttlMs));
    const value = codec.encode(redisKey, entry);
    const write = () => client.set(redisKey, value, { expiration: { type: 'PX', value: ttl } });
    // The indexes first, the entry after them: an entry is never in Redis without its
    // index members (a failed index write means no entry, only a miss). On a cluster they
    // live in different slots, so they cannot be one atomic command.
    const indexes = [
      entry.subjectKey === undefined ? undefined : subjectSetKey(entry.subjectKey),
      entry.tokenKey === undefined ? undefined : tokenSetKey(entry.tokenKey),
    ].filter((set) => set !== undefined);
    await command(() =>
      Promise.all(
        indexes.map((set) =>
          client.eval(INDEX_ENTRY, { keys: [set], arguments: [redisKey, String(ttl)] }),
        ),
      ),
    );
    await command(write);
  }

  const store: RedisStore = {
    get: read,

    set(key, entry, ttlMs) {
      const write = writeEntry(key, entry, ttlMs);
      writing.set(key, write);
      const done = () => {
        if (writing.get(key) === write) writing.delete(key);
      };
      write.then(done, done);
      return write;
    },

    async delete(key) {
      // The entry, and the same token under issuers' own namespaces (side by side: one
      // round trip before the announcement when the token has no other entries).
      const [deleted] = await Promise.all([
        command(() => client.del(entryKey(key))),
        deleteIndexed(tokenSetKey(key)),
      ]);
      counts.evictions += Number(deleted) || 0;
    },

    async deleteSubject(subjectKey) {
      await deleteIndexed(subjectSetKey(subjectKey));
    },

    async revokeSubject(subjectKey, issuedBeforeMs, ttlMs) {
      const name = revocationKey(subjectKey);
      // The latest revocation wins (two close events: keep the later time).
      const known = await readTime(name);
      if (known !== undefined && known >= issuedBeforeMs) return;
      const ttl = Math.max(1, Math.floor(ttlMs));
      await command(() =>
        client.set(name, codec.encodeTime(name, issuedBeforeMs), {
          expiration: { type: 'PX', value: ttl },
        }),
      );
    },

    subjectRevokedBefore: (subjectKey) => readTime(revocationKey(subjectKey)),

    async publish(message) {
      const received = await publish(message);
      // This store's own subscriber listens on the channel's node (one server, or the
      // channel's shard with sharded pub/sub): a message that reached nobody there was lost
      // (the channel is moving to a promoted master, or our subscriber is reconnecting).
      // Refused, the guard does not acknowledge the eviction and its caller sends it again.
      if (subscriber !== undefined && (sharded || !isCluster) && Number(received) === 0) {
        counts.errors++;
        throw new Error(
          'no subscriber received the invalidation (the channel is moving or reconnecting)',
        );
      }
    },

    async subscribe(listener): Promise<Unsubscribe> {
      listeners.add(listener);
      await ensureSubscribed();
      return async () => {
        listeners.delete(listener);
        // The connection this store opened goes with the last guard, so a process whose
        // guards are all closed can exit (the application's client is left open).
        if (listeners.size === 0) await store.close();
      };
    },

    async add(key, ttlMs) {
      // SET NX PX: atomic on every instance at once (RFC 9449 §11.1 single-use proofs).
      const answer = await command(() =>
        client.set(`${keyPrefix}a:${key}`, '1', {
          condition: 'NX',
          expiration: { type: 'PX', value: Math.max(1, Math.floor(ttlMs)) },
        }),
      );
      return answer === 'OK';
    },

    ...(lock === undefined ? {} : { coalesce }),

    async health({ probe }) {
      if (!client.isReady) return false;
      if (!probe || client.ping === undefined) return true;
      await client.ping();
      return true;
    },

    metrics: () => ({ ...counts }),

    async close() {
      stopProbing();
      const connection = subscriber;
      subscriber = undefined;
      subscribing = undefined;
      listeners.clear();
      if (connection !== undefined && givenSubscriber === undefined && connection.isOpen) {
        await connection.close();
      }
    },
  };
  return store;
}

function checkOptions(options: RedisStoreOptions): RedisStoreOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('tokenguard: createRedisStore(options) needs an options object');
  }
  const client = options.client as Partial<RedisClientLike> | undefined;
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof client.get !== 'function' ||
    typeof client.duplicate !== 'function'
  ) {
    throw new TypeError(
      'tokenguard: option `client` must be a node-redis v6 client (createClient, createCluster or createSentinel)',
    );
  }
  const key = options.hmacKey;
  const bytes =
    typeof key === 'string'
      ? Buffer.byteLength(key, 'utf8')
      : key instanceof Uint8Array
        ? key.byteLength
        : -1;
  if (bytes < 32) {
    throw new TypeError(
      'tokenguard: option `hmacKey` must be a string or Uint8Array of at least 32 bytes (RFC 2104 §3: at least the hash output length)',
    );
  }
  if (
    options.keyPrefix !== undefined &&
    (typeof options.keyPrefix !== 'string' || options.keyPrefix === '')
  ) {
    throw new TypeError('tokenguard: option `keyPrefix` must be a non-empty string');
  }
  return options;
}

function normalizeLock(
  value: RedisStoreOptions['lock'],
): { ttlMs: number; waitMs: number; pollMs: number } | undefined {
  if (value === undefined || value === false) return undefined;
  const given = value === true ? {} : value;
  const lock = {
    ttlMs: given.ttlMs ?? 5000,
    waitMs: given.waitMs ?? 1000,
    pollMs: given.pollMs ?? 50,
  };
  for (const [name, ms] of Object.entries(lock)) {
    if (!Number.isInteger(ms) || ms < 1 || ms > 600_000) {
      throw new TypeError(
        `tokenguard: option \`lock.${name}\` must be an integer from 1 to 600000 (milliseconds)`,
      );
    }
  }
  return lock;
}

/** A pause that never keeps the process alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? '').slice(0, 200) : 'failed';
}
