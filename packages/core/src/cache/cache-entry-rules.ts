/**
 * What a cache entry may say, and for how long: the rules every tier applies alike.
 * Positive entries are bounded by the token's `exp`, a validator's `notAfterMs` and
 * `maxTtlMs`; inactive results live briefly; with `staleIfErrorMs`, a positive entry that
 * went out of date within that window may still answer an outage (never past `exp`).
 */
import type { CachedResult, CacheEntry } from './cache-store.js';
import { deepFreeze } from './deep-freeze.js';
import { hashSubject } from './hash-token.js';

export interface EntryLimits {
  readonly maxTtlMs: number;
  readonly inactiveTtlMs: number;
  /** How long past its freshness a positive entry may answer during an outage; 0 = never. */
  readonly staleIfErrorMs: number;
  /** The guard's namespace: subject keys are hashed with it. */
  readonly namespace: string;
}

type ValidResult = Extract<CachedResult, { kind: 'valid' }>;

/**
 * A new entry for a fresh result, or `undefined` when it must not be cached at all.
 * `validatedAtMs` is when the validation began; `tokenKey` the token's guard-wide key
 * when the entry lives under another one.
 */
export function entryFor(
  limits: EntryLimits,
  result: CachedResult,
  now: number,
  validatedAtMs: number,
  tokenKey: string | undefined,
): CacheEntry | undefined {
  const base = { validatedAtMs, ...(tokenKey === undefined ? {} : { tokenKey }) };
  if (result.kind === 'invalid') {
    return limits.inactiveTtlMs > 0
      ? { result, freshUntilMs: now + limits.inactiveTtlMs, ...base }
      : undefined;
  }
  const freshUntilMs = Math.min(now + limits.maxTtlMs, hardLimitMs(result));
  if (freshUntilMs <= now) return undefined;
  deepFreeze(result.claims);
  const sub = result.claims.sub;
  return typeof sub === 'string'
    ? { result, freshUntilMs, subjectKey: hashSubject(limits.namespace, sub), ...base }
    : { result, freshUntilMs, ...base };
}

/** How long a tier may keep an entry: its freshness, plus the stale window for valid ones. */
export function keepForMs(limits: EntryLimits, entry: CacheEntry, now: number): number {
  if (entry.result.kind === 'invalid') return entry.freshUntilMs - now;
  const end = Math.min(entry.freshUntilMs + limits.staleIfErrorMs, hardLimitMs(entry.result));
  return Math.floor(end - now);
}

export function isFresh(entry: CacheEntry, now: number): boolean {
  if (now >= entry.freshUntilMs) return false;
  // A shared store may keep entries a little longer than asked: re-check the hard limits.
  return entry.result.kind === 'invalid' || now < hardLimitMs(entry.result);
}

/** A positive entry past its freshness that may still answer an outage. */
export function staleFallback(
  limits: EntryLimits,
  entry: CacheEntry | undefined,
  now: number,
): CacheEntry | undefined {
  if (limits.staleIfErrorMs === 0 || entry === undefined || entry.result.kind !== 'valid') return;
  if (now >= entry.freshUntilMs + limits.staleIfErrorMs || now >= hardLimitMs(entry.result)) {
    return;
  }
  return entry;
}

/** This reader's own `maxTtlMs` also bounds an entry another instance wrote. */
export function capped(limits: EntryLimits, entry: CacheEntry, now: number): CacheEntry {
  return entry.freshUntilMs <= now + limits.maxTtlMs
    ? entry
    : { ...entry, freshUntilMs: now + limits.maxTtlMs };
}

/** The earliest of the token's `exp` and the validator's `notAfterMs`, in epoch ms. */
function hardLimitMs(result: ValidResult): number {
  const exp = result.claims.exp;
  const expMs = typeof exp === 'number' ? exp * 1000 : Number.POSITIVE_INFINITY;
  return Math.min(expMs, result.notAfterMs ?? Number.POSITIVE_INFINITY);
}

/** Any store can be plugged in: what it returns is checked before it is believed. */
export function isCacheEntry(value: unknown): value is CacheEntry {
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
