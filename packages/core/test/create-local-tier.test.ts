import { describe, expect, it } from 'vitest';
import type { CachedResult, CacheEntry } from '../src/cache/cache-store.js';
import { CLOCK_SKEW_MS, createLocalTier } from '../src/cache/create-local-tier.js';

const VALID: CachedResult = {
  kind: 'valid',
  strategy: 'introspection',
  claims: { active: true, sub: 'alice' },
};
const INACTIVE: CachedResult = { kind: 'invalid', reason: 'token_inactive' };

function tier() {
  return createLocalTier({ maxEntries: 10, maxInactiveEntries: 5, longestSharedEntryMs: 60_000 });
}

function entry(result: CachedResult, extra: Partial<CacheEntry> = {}): CacheEntry {
  return { result, freshUntilMs: Date.now() + 60_000, validatedAtMs: Date.now(), ...extra };
}

describe('the local tier', () => {
  it('an inactive answer replaces a positive entry for the same key (no stale fallback left)', () => {
    const local = tier();
    local.keep('k', entry(VALID), 60_000);
    local.keep('k', entry(INACTIVE), 60_000);
    expect(local.get('k')?.result).toBe(INACTIVE);
    // Not kept (ttl 0), but the positive entry is gone all the same.
    local.keep('j', entry(VALID), 60_000);
    local.keep('j', entry(INACTIVE), 0);
    expect(local.get('j')).toBeUndefined();
  });

  it('while the channel is lost nothing is read or kept, and both edges empty the tier', () => {
    const local = tier();
    local.keep('k', entry(VALID), 60_000);
    local.drop({ kind: 'lost' });
    expect(local.get('k')).toBeUndefined();
    local.keep('j', entry(VALID), 60_000);
    local.drop({ kind: 'resumed' });
    expect(local.get('j')).toBeUndefined();
    local.keep('j', entry(VALID), 60_000);
    expect(local.get('j')?.result).toBe(VALID);
  });

  it('evicting a token also drops entries kept under an issuer key with that tokenKey', () => {
    const local = tier();
    local.keep('issuer-a:k', entry(VALID, { tokenKey: 'k' }), 60_000);
    local.keep('issuer-a:other', entry(VALID, { tokenKey: 'other' }), 60_000);
    local.drop({ kind: 'key', key: 'k', atMs: Date.now() });
    expect(local.get('issuer-a:k')).toBeUndefined();
    expect(local.get('issuer-a:other')?.result).toBe(VALID);
  });

  it('evicting a subject drops its positive entries only', () => {
    const local = tier();
    local.keep('a', entry(VALID, { subjectKey: 's1' }), 60_000);
    local.keep('b', entry(VALID, { subjectKey: 's2' }), 60_000);
    local.drop({ kind: 'subject', subjectKey: 's1', atMs: Date.now() });
    expect(local.get('a')).toBeUndefined();
    expect(local.get('b')?.result).toBe(VALID);
  });

  it('buries an entry validated before (or within clock skew of) an eviction that covers it', () => {
    const local = tier();
    const at = Date.now();
    local.drop({ kind: 'key', key: 'k', atMs: at });
    local.drop({ kind: 'subject', subjectKey: 's', atMs: at });
    const before = { validatedAtMs: at - 1 };
    const justAfter = { validatedAtMs: at + CLOCK_SKEW_MS };
    const later = { validatedAtMs: at + CLOCK_SKEW_MS + 1 };
    expect(local.isBuried('k', entry(VALID, before))).toBe(true);
    expect(local.isBuried('k', entry(VALID, justAfter))).toBe(true);
    expect(local.isBuried('k', entry(VALID, later))).toBe(false);
    expect(local.isBuried('x', entry(VALID, { ...before, tokenKey: 'k' }))).toBe(true);
    expect(local.isBuried('x', entry(VALID, { ...before, subjectKey: 's' }))).toBe(true);
    expect(local.isBuried('x', entry(VALID, { ...before, subjectKey: 'other' }))).toBe(false);
    expect(local.isBuried('k', { result: VALID, freshUntilMs: at + 1 })).toBe(true);
  });

  it('every eviction and channel edge changes the epoch; keeping an entry does not', () => {
    const local = tier();
    const seen = [local.epoch()];
    local.keep('k', entry(VALID), 60_000);
    expect(local.epoch()).toBe(seen[0]);
    for (const message of [
      { kind: 'key', key: 'k' },
      { kind: 'subject', subjectKey: 's' },
      { kind: 'lost' },
      { kind: 'resumed' },
    ] as const) {
      local.drop(message);
      expect(seen).not.toContain(local.epoch());
      seen.push(local.epoch());
    }
  });
});
