import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CachedResult } from '../src/cache/cache-store.js';
import { createMemoryStore } from '../src/cache/create-memory-store.js';
import { createResultCache } from '../src/cache/create-result-cache.js';
import { fingerprintSettings, hashToken } from '../src/cache/hash-token.js';
import { UpstreamUnavailableError } from '../src/errors.js';

function counters() {
  const c = { hits: 0, misses: 0, coalesced: 0 };
  return {
    c,
    counters: { hit: () => c.hits++, miss: () => c.misses++, coalesced: () => c.coalesced++ },
  };
}
const valid = (exp?: number): CachedResult => ({
  kind: 'valid',
  claims: { active: true, exp },
  strategy: 'introspection',
});

afterEach(() => {
  vi.useRealTimers();
});

describe('createResultCache', () => {
  it('a second lookup is a hit and does not validate again', async () => {
    const { c, counters: k } = counters();
    const cache = createResultCache(
      { store: createMemoryStore(10), maxTtlMs: 60_000, inactiveTtlMs: 1000 },
      k,
    );
    let calls = 0;
    const validate = async () => {
      calls++;
      return valid(Date.now() / 1000 + 600);
    };
    await cache.getOrValidate('k', validate);
    await cache.getOrValidate('k', validate);
    expect(calls).toBe(1);
    expect(c).toEqual({ hits: 1, misses: 1, coalesced: 0 });
  });

  it('a positive entry never outlives the token exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { counters: k } = counters();
    const cache = createResultCache(
      { store: createMemoryStore(10), maxTtlMs: 600_000, inactiveTtlMs: 1000 },
      k,
    );
    let calls = 0;
    const validate = async () => {
      calls++;
      return valid(Math.floor(Date.now() / 1000) + 2);
    };
    await cache.getOrValidate('k', validate);
    vi.setSystemTime(Date.now() + 3000);
    await cache.getOrValidate('k', validate);
    expect(calls).toBe(2);
  });

  it('inactive results are kept for inactiveTtlMs only; 0 disables negative caching', async () => {
    const store = createMemoryStore(10);
    const seen: number[] = [];
    const recording = {
      ...store,
      set: (key: string, value: CachedResult, ttl: number) => {
        seen.push(ttl);
        store.set(key, value, ttl);
      },
    };
    const { counters: k } = counters();
    await createResultCache(
      { store: recording, maxTtlMs: 60_000, inactiveTtlMs: 1234 },
      k,
    ).getOrValidate('a', async () => ({ kind: 'invalid' }));
    expect(seen).toEqual([1234]);
    let calls = 0;
    const noNegative = createResultCache(
      { store: createMemoryStore(10), maxTtlMs: 60_000, inactiveTtlMs: 0 },
      k,
    );
    const invalid = async (): Promise<CachedResult> => {
      calls++;
      return { kind: 'invalid' };
    };
    await noNegative.getOrValidate('a', invalid);
    await noNegative.getOrValidate('a', invalid);
    expect(calls).toBe(2);
  });

  it('faults are never cached', async () => {
    const { counters: k } = counters();
    const cache = createResultCache(
      { store: createMemoryStore(10), maxTtlMs: 60_000, inactiveTtlMs: 60_000 },
      k,
    );
    await expect(
      cache.getOrValidate('k', async () => {
        throw new UpstreamUnavailableError();
      }),
    ).rejects.toThrow(UpstreamUnavailableError);
    await expect(cache.getOrValidate('k', async () => valid())).resolves.toMatchObject({
      kind: 'valid',
    });
  });

  it('concurrent lookups for one key share one validation (with and without a store)', async () => {
    for (const settings of [
      { store: createMemoryStore(10), maxTtlMs: 60_000, inactiveTtlMs: 0 },
      undefined,
    ]) {
      const { c, counters: k } = counters();
      const cache = createResultCache(settings, k);
      let calls = 0;
      const validate = async () => {
        calls++;
        await new Promise((r) => setTimeout(r, 20));
        return valid();
      };
      const results = await Promise.all(
        Array.from({ length: 50 }, () => cache.getOrValidate('k', validate)),
      );
      expect(calls).toBe(1);
      expect(c.coalesced).toBe(49);
      expect(new Set(results).size).toBe(1);
    }
  });
});

describe('hashToken', () => {
  it('keys are a hash: the token never appears, and the namespace separates guards', () => {
    const a = hashToken(fingerprintSettings({ endpoint: 'a' }), 'secret-token');
    const b = hashToken(fingerprintSettings({ endpoint: 'b' }), 'secret-token');
    expect(a).not.toContain('secret-token');
    expect(a).not.toBe(b);
    expect(fingerprintSettings({ x: 1, y: 2 })).toBe(fingerprintSettings({ y: 2, x: 1 }));
  });
});
