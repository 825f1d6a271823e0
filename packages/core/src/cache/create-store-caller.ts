/**
 * Every call the guard makes to the shared store goes through here: each under a
 * deadline, and a failure or timeout is a miss (or a skipped write), never an error
 * answer. The store is an optimisation; the identity service remains the authority.
 *
 * On the request path the deadline is one budget per request: `storeTimeoutMs` in total
 * for every store call the request waits on (the read, the cross-instance lock and its
 * polls, the subject revocation read, the write). Once a call fails or the budget is
 * spent, the rest of the request sends nothing more to the store: a stalled or switching
 * Redis adds at most one `storeTimeoutMs` to a request, however many calls its path has.
 */

import type { TokenGuardLogger } from '../types.js';
import type { CacheEntry, CacheStore, Invalidation, Unsubscribe } from './cache-store.js';

export interface StoreCallerCounters {
  storeHit(): void;
  storeMiss(): void;
  storeError(): void;
  storeTimeout(): void;
}

/**
 * What is left of one request's store deadline, in milliseconds: each call it waits on
 * spends what it took, and a call that fails or passes its deadline spends all of it.
 */
export interface StoreBudget {
  leftMs: number;
  /** A call of the request failed or passed its deadline: the store is not asked again. */
  failed?: boolean;
}

export interface StoreCaller {
  readonly coalesces: boolean;
  /** A fresh budget for one request: `storeTimeoutMs` in total. */
  budget(): StoreBudget;
  /** The entry, or `undefined` on a miss, an error or a timeout. Never rejects. */
  get(key: string, budget: StoreBudget): Promise<CacheEntry | undefined>;
  /**
   * Never rejects: a failed write only costs the other instances a miss. Awaited within
   * what is left of the budget (so an instance that answered has its entry in the store for
   * the next one); when a slow but answering store spent the budget, sent without waiting;
   * after a failed call of the request, not sent at all.
   */
  set(key: string, entry: CacheEntry, ttlMs: number, budget: StoreBudget): Promise<void>;
  /**
   * `false` when the store failed or timed out (then the eviction did not reach it). With a
   * `budget` (a request forgetting a refused token's older entry): awaited within what is
   * left of it; with nothing left, sent all the same but not awaited (it must not be lost).
   */
  delete(key: string, budget?: StoreBudget): Promise<boolean>;
  deleteSubject(subjectKey: string): Promise<boolean>;
  /** Whether the store keeps subject revocations (`revokeSubject`). */
  readonly keepsRevocations: boolean;
  /** `false` when the store failed or timed out. */
  revokeSubject(subjectKey: string, issuedBeforeMs: number, ttlMs: number): Promise<boolean>;
  /** The recorded time, or `undefined` (also on an error or a timeout: never rejects). */
  subjectRevokedBefore(subjectKey: string, budget: StoreBudget): Promise<number | undefined>;
  publish(message: Invalidation): Promise<boolean>;
  subscribe(listener: (message: Invalidation) => void): Promise<Unsubscribe | undefined>;
  /** The store's own reachability answer (probe: one round trip under the deadline). */
  health(probe: boolean): Promise<boolean | undefined>;
  /**
   * Runs `fill` under the store's cross-instance single-flight, or directly without one.
   * The store's commands get what is left of the budget, in total.
   */
  coalesce(key: string, fill: () => Promise<CacheEntry>, budget: StoreBudget): Promise<CacheEntry>;
}

class StoreTimeout extends Error {}

/** Takes `ms` (at least 0) from what is left of a request's budget. */
function spend(budget: StoreBudget, ms: number): void {
  budget.leftMs = Math.max(0, budget.leftMs - Math.max(0, ms));
}

/** How long requests skip a store that just failed, before one call tries it again, in ms. */
const RETRY_AFTER_FAILURE_MS = 250;

export function createStoreCaller(
  store: CacheStore,
  settings: { readonly timeoutMs: number; readonly logger: TokenGuardLogger },
  counters: StoreCallerCounters,
): StoreCaller {
  const { timeoutMs, logger } = settings;
  // "Logged once": the first failure of a run of failures is logged; the next one is
  // logged again only after the store has answered successfully in between.
  let failing = false;

  function succeeded(): void {
    failing = false;
  }

  function failed(operation: string, error: unknown): void {
    if (error instanceof StoreTimeout) counters.storeTimeout();
    else counters.storeError();
    if (failing) return;
    failing = true;
    const why =
      error instanceof StoreTimeout
        ? `no answer within ${timeoutMs} ms`
        : error instanceof Error
          ? error.message.split('\n')[0]?.slice(0, 200)
          : 'failed';
    logger.warn(
      `tokenguard: the shared cache store failed (${operation}: ${why}); serving from the local cache and the identity service until it recovers`,
    );
  }

  /** The store's answer, or a rejection after `ms`. The timer never outlives the call. */
  function withDeadline<T>(call: () => T | Promise<T>, ms = timeoutMs): Promise<T> {
    let value: T | Promise<T>;
    try {
      value = call();
    } catch (error) {
      return Promise.reject(error);
    }
    if (!(value instanceof Promise) && typeof (value as { then?: unknown })?.then !== 'function') {
      return Promise.resolve(value);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new StoreTimeout()), ms);
      Promise.resolve(value).then(
        (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  // After a call fails or passes its deadline, requests skip the store (a miss at once)
  // instead of each paying the deadline again while it is down (a failover, a stall): one
  // call every RETRY_AFTER_FAILURE_MS is let through to see whether it answers again. So a
  // request waits for a failing store at most once, not once per store call on its path.
  // Evictions, DPoP jti records and health checks always try the store.
  let skipUntil = 0;
  function skipping(): boolean {
    if (skipUntil === 0) return false;
    const now = Date.now();
    if (now < skipUntil) return true;
    skipUntil = now + RETRY_AFTER_FAILURE_MS; // this call goes through; the others wait for it
    return false;
  }

  /**
   * One call to the store. `budget`: a call on a request's path, under what is left of the
   * request's budget, which it spends; skipped while the store is failing unless told not to.
   */
  async function attempt<T>(
    operation: string,
    call: () => T | Promise<T>,
    budget?: StoreBudget,
    skippable = budget !== undefined,
  ): Promise<{ ok: true; value: T } | { ok: false }> {
    if (budget !== undefined && skippable && (budget.leftMs <= 0 || skipping())) {
      counters.storeError();
      return { ok: false };
    }
    const started = Date.now();
    try {
      const value = await withDeadline(call, budget?.leftMs);
      if (budget !== undefined) spend(budget, Date.now() - started);
      succeeded();
      skipUntil = 0;
      return { ok: true, value };
    } catch (error) {
      if (budget !== undefined) {
        budget.leftMs = 0;
        budget.failed = true;
      }
      failed(operation, error);
      skipUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
      return { ok: false };
    }
  }

  return {
    coalesces: typeof store.coalesce === 'function',

    budget: () => ({ leftMs: timeoutMs }),

    async get(key, budget) {
      const answer = await attempt('get', () => store.get(key), budget);
      if (!answer.ok) return undefined;
      if (answer.value === undefined || answer.value === null) {
        counters.storeMiss();
        return undefined;
      }
      counters.storeHit();
      return answer.value;
    },

    async set(key, entry, ttlMs, budget) {
      const call = () => store.set(key, entry, ttlMs);
      if (budget.leftMs > 0 || budget.failed === true) {
        await attempt('set', call, budget);
        return;
      }
      // Spent by a store that answers, only slowly (a busy machine): the write still shares
      // the verdict with the other instances, but the answer does not wait for it.
      if (!skipping()) void attempt('set', call);
    },

    async delete(key, budget) {
      if (!store.delete) return true;
      const call = () => store.delete?.(key);
      if (budget !== undefined && budget.leftMs <= 0) {
        void attempt('delete', call);
        return false;
      }
      return (await attempt('delete', call, budget, false)).ok;
    },

    async deleteSubject(subjectKey) {
      if (!store.deleteSubject) return true;
      return (await attempt('deleteSubject', () => store.deleteSubject?.(subjectKey))).ok;
    },

    keepsRevocations:
      typeof store.revokeSubject === 'function' && typeof store.subjectRevokedBefore === 'function',

    async revokeSubject(subjectKey, issuedBeforeMs, ttlMs) {
      if (!store.revokeSubject) return true;
      return (
        await attempt('revokeSubject', () =>
          store.revokeSubject?.(subjectKey, issuedBeforeMs, ttlMs),
        )
      ).ok;
    },

    async subjectRevokedBefore(subjectKey, budget) {
      // On the request path, like a read: skipped while the store is failing.
      const answer = await attempt(
        'subjectRevokedBefore',
        () => store.subjectRevokedBefore?.(subjectKey),
        budget,
      );
      return answer.ok && typeof answer.value === 'number' ? answer.value : undefined;
    },

    async publish(message) {
      if (!store.publish) return true;
      return (await attempt('publish', () => store.publish?.(message))).ok;
    },

    async subscribe(listener) {
      if (!store.subscribe) return undefined;
      // Subscribing may wait for a connection: no deadline, but a failure is only logged.
      try {
        return await store.subscribe(listener);
      } catch (error) {
        failed('subscribe', error);
        return undefined;
      }
    },

    async health(probe) {
      const check = store.health;
      if (check === undefined) return undefined;
      try {
        return await withDeadline(() => check.call(store, { probe }));
      } catch {
        return false;
      }
    },

    async coalesce(key, fill, budget) {
      if (!store.coalesce) return fill();
      if (budget.leftMs <= 0 || skipping()) {
        counters.storeError();
        return fill();
      }
      // A failure of `fill` (an outage upstream) is passed on; a failure of the store's
      // own machinery only means this instance validates by itself.
      const started = Date.now();
      let filling: Promise<CacheEntry> | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      let answerFilled: (entry: CacheEntry) => void = () => {};
      // Once our own fill succeeded, the store's bookkeeping after it (announce, release)
      // gets only what is left of the budget: the entry is answered whatever the store does.
      const filled = new Promise<CacheEntry>((resolve) => {
        answerFilled = resolve;
      });
      const tracked = (report?: { readonly storeMs: number }) => {
        if (filling === undefined) {
          // What the store's commands took before it let us fill (all of the time until
          // now, when it does not say: waiting on another instance may have been part of it).
          spend(budget, report?.storeMs ?? Date.now() - started);
          filling = fill();
          filling.then(
            (entry) => {
              timer = setTimeout(() => answerFilled(entry), Math.max(0, budget.leftMs));
            },
            () => {},
          );
        }
        return filling;
      };
      try {
        return await Promise.race([
          store.coalesce(key, tracked, { timeoutMs: budget.leftMs }),
          filled,
        ]);
      } catch (error) {
        if (filling !== undefined) return filling;
        budget.leftMs = 0;
        budget.failed = true;
        failed('coalesce', error);
        skipUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
        return tracked();
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
