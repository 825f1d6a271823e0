import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CachedResult, CacheEntry, CacheStore } from '../src/cache/cache-store.js';
import { createMemoryStore } from '../src/cache/create-memory-store.js';
import {
  type CacheTrace,
  createResultCache,
  type ResultCacheCounters,
  type ResultCacheSettings,
} from '../src/cache/create-result-cache.js';
import { hashSubject, hashToken } from '../src/cache/hash-token.js';
import { UpstreamUnavailableError } from '../src/errors.js';
import { fingerprintSettings } from '../src/settings/fingerprint-settings.js';

const COUNTERS = [
  'hit',
  'sharedHit',
  'miss',
  'coalesced',
  'storeHit',
  'storeMiss',
  'storeError',
  'storeTimeout',
  'servedStale',
  'eviction',
] as const;
type Counts = Record<(typeof COUNTERS)[number], number>;

function counters(): { c: Counts; counters: ResultCacheCounters } {
  const c = Object.fromEntries(COUNTERS.map((name) => [name, 0])) as Counts;
  const k = Object.fromEntries(COUNTERS.map((name) => [name, () => c[name]++]));
  return { c, counters: k as unknown as ResultCacheCounters };
}

const logLines: string[] = [];
function settings(extra: Partial<ResultCacheSettings> = {}): ResultCacheSettings {
  return {
    maxEntries: 100,
    maxInactiveEntries: 10,
    maxTtlMs: 60_000,
    inactiveTtlMs: 1000,
    staleIfErrorMs: 0,
    store: undefined,
    storeTimeoutMs: 50,
    namespace: 'ns',
    logger: { warn: (m) => logLines.push(m), error: (m) => logLines.push(m) },
    isOutage: (error) => error instanceof UpstreamUnavailableError,
    ...extra,
  };
}

const valid = (exp?: number, sub = 'alice'): CachedResult => ({
  kind: 'valid',
  claims: { active: true, exp, sub, scope: 'read', nested: { roles: ['user'] } },
  strategy: 'introspection',
});
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;
const outage = async (): Promise<CachedResult> => {
  throw new UpstreamUnavailableError();
};

afterEach(() => {
  vi.useRealTimers();
  logLines.length = 0;
});

describe('createResultCache: the local tier', () => {
  it('a second lookup is a synchronous hit and does not validate again', async () => {
    const { c, counters: k } = counters();
    const cache = createResultCache(settings(), k);
    let calls = 0;
    const validate = async () => {
      calls++;
      return valid(inSeconds(600));
    };
    await cache.getOrValidate('k', validate);
    const second = cache.getOrValidate('k', validate);
    expect(second).not.toBeInstanceOf(Promise);
    expect(calls).toBe(1);
    expect(c).toMatchObject({ hit: 1, miss: 1, coalesced: 0 });
  });

  it('a positive entry never outlives the token exp', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { counters: k } = counters();
    const cache = createResultCache(settings({ maxTtlMs: 600_000 }), k);
    let calls = 0;
    const validate = async () => {
      calls++;
      return valid(inSeconds(2));
    };
    await cache.getOrValidate('k', validate);
    vi.setSystemTime(Date.now() + 3000);
    await cache.getOrValidate('k', validate);
    expect(calls).toBe(2);
  });

  it('a positive entry never outlives the validator’s notAfterMs (jwt.maxTokenAgeSec)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { counters: k } = counters();
    const cache = createResultCache(settings({ maxTtlMs: 600_000 }), k);
    let calls = 0;
    const validate = async (): Promise<CachedResult> => {
      calls++;
      return { ...valid(inSeconds(3600)), notAfterMs: Date.now() + 1000 } as CachedResult;
    };
    await cache.getOrValidate('k', validate);
    vi.setSystemTime(Date.now() + 1500);
    await cache.getOrValidate('k', validate);
    expect(calls).toBe(2);
  });

  it('inactive results are kept for inactiveTtlMs only; 0 disables negative caching', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { counters: k } = counters();
    let calls = 0;
    const invalid = async (): Promise<CachedResult> => {
      calls++;
      return { kind: 'invalid', reason: 'token_inactive' };
    };
    const cache = createResultCache(settings({ inactiveTtlMs: 1234 }), k);
    await cache.getOrValidate('a', invalid);
    expect(await cache.getOrValidate('a', invalid)).toEqual({
      kind: 'invalid',
      reason: 'token_inactive',
    });
    expect(calls).toBe(1);
    vi.setSystemTime(Date.now() + 1300);
    await cache.getOrValidate('a', invalid);
    expect(calls).toBe(2);

    calls = 0;
    const noNegative = createResultCache(settings({ inactiveTtlMs: 0 }), k);
    await noNegative.getOrValidate('a', invalid);
    await noNegative.getOrValidate('a', invalid);
    expect(calls).toBe(2);
  });

  it('junk tokens live in their own LRU and cannot push valid entries out', async () => {
    const { counters: k } = counters();
    const cache = createResultCache(settings({ maxEntries: 50, maxInactiveEntries: 5 }), k);
    let upstream = 0;
    const good = async () => {
      upstream++;
      return valid(inSeconds(600));
    };
    for (let i = 0; i < 50; i++) await cache.getOrValidate(`good-${i}`, good);
    for (let i = 0; i < 2000; i++) {
      await cache.getOrValidate(`junk-${i}`, async () => ({ kind: 'invalid' }));
    }
    upstream = 0;
    for (let i = 0; i < 50; i++) await cache.getOrValidate(`good-${i}`, good);
    expect(upstream).toBe(0);
  });

  it('cached claims are deep-frozen once, so a handler cannot change them', async () => {
    const { counters: k } = counters();
    const cache = createResultCache(settings(), k);
    const first = await cache.getOrValidate('k', async () => valid(inSeconds(600)));
    const claims = (first as { claims: Record<string, unknown> }).claims;
    expect(() => Object.assign(claims, { scope: 'read admin' })).toThrow(TypeError);
    expect(() => (claims.nested as { roles: string[] }).roles.push('admin')).toThrow(TypeError);
    const again = cache.getOrValidate('k', outage) as { claims: Record<string, unknown> };
    expect(again.claims.scope).toBe('read');
  });

  it('faults are never cached', async () => {
    const { counters: k } = counters();
    const cache = createResultCache(settings({ inactiveTtlMs: 60_000 }), k);
    await expect(cache.getOrValidate('k', outage)).rejects.toThrow(UpstreamUnavailableError);
    await expect(cache.getOrValidate('k', async () => valid())).resolves.toMatchObject({
      kind: 'valid',
    });
  });

  it('concurrent lookups for one key share one validation (with and without a cache)', async () => {
    for (const s of [settings({ store: createMemoryStore(10) }), settings(), undefined]) {
      const { c, counters: k } = counters();
      const cache = createResultCache(s, k);
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

describe('createResultCache: the shared tier', () => {
  it('an entry written by one cache is a shared hit for another, then a local hit', async () => {
    const store = createMemoryStore();
    const a = createResultCache(settings({ store }), counters().counters);
    const { c, counters: k } = counters();
    const b = createResultCache(settings({ store }), k);
    await a.getOrValidate('k', async () => valid(inSeconds(600)));
    let calls = 0;
    const validate = async () => {
      calls++;
      return valid(inSeconds(600));
    };
    expect(await b.getOrValidate('k', validate)).toMatchObject({ kind: 'valid' });
    expect(b.getOrValidate('k', validate)).toMatchObject({ kind: 'valid' });
    expect(calls).toBe(0);
    expect(c).toMatchObject({ hit: 2, sharedHit: 1, storeHit: 1, miss: 0 });
  });

  it('the store gets the TTL of the entry: never past exp, inactive results short', async () => {
    const ttls: number[] = [];
    const memory = createMemoryStore();
    const store: CacheStore = {
      ...memory,
      set: (key, entry, ttl) => {
        ttls.push(ttl);
        return memory.set(key, entry, ttl);
      },
    };
    const cache = createResultCache(
      settings({ store, maxTtlMs: 600_000, inactiveTtlMs: 1234 }),
      counters().counters,
    );
    await cache.getOrValidate('a', async () => valid(inSeconds(10)));
    await cache.getOrValidate('b', async () => ({ kind: 'invalid' }));
    expect(ttls[0]).toBeLessThanOrEqual(10_000);
    expect(ttls[0]).toBeGreaterThan(8000);
    expect(ttls[1]).toBe(1234);
  });

  it('a rejecting get or set is a miss; the verdict is kept; logged once, counted', async () => {
    const broken: CacheStore = {
      get: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')),
      set: () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379')),
    };
    const { c, counters: k } = counters();
    const cache = createResultCache(settings({ store: broken }), k);
    expect(await cache.getOrValidate('a', async () => valid(inSeconds(600)))).toMatchObject({
      kind: 'valid',
    });
    // The failed `set` did not lose the verdict: the local tier answers.
    expect(cache.getOrValidate('a', outage)).toMatchObject({ kind: 'valid' });
    await cache.getOrValidate('b', async () => ({ kind: 'invalid' }));
    expect(c.storeError).toBe(4);
    expect(logLines.filter((l) => l.includes('shared cache store failed'))).toHaveLength(1);
  });

  it('a hanging get passes its deadline (storeTimeoutMs) as a miss', async () => {
    const hanging: CacheStore = { get: () => new Promise(() => {}), set: () => {} };
    const { c, counters: k } = counters();
    const cache = createResultCache(settings({ store: hanging, storeTimeoutMs: 20 }), k);
    expect(await cache.getOrValidate('a', async () => valid(inSeconds(600)))).toMatchObject({
      kind: 'valid',
    });
    expect(c.storeTimeout).toBe(1);
  });

  describe('one store deadline per request (storeTimeoutMs in total, however many calls)', () => {
    /** A store that records every call; `get` as given, everything else answers at once. */
    function recording(get: CacheStore['get']) {
      const calls: string[] = [];
      const store: CacheStore = {
        get: (key) => {
          calls.push('get');
          return get(key);
        },
        set: () => {
          calls.push('set');
        },
        delete: () => {
          calls.push('delete');
        },
        revokeSubject: () => {
          calls.push('revokeSubject');
        },
        subjectRevokedBefore: () => {
          calls.push('subjectRevokedBefore');
          return undefined;
        },
        coalesce: (_key, fill) => {
          calls.push('coalesce');
          return fill();
        },
      };
      return { store, calls };
    }

    it('after a store call of the request failed, the request sends the store nothing more, even once the store is tried again', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const { store, calls } = recording(() => Promise.reject(new Error('LOADING')));
      const cache = createResultCache(settings({ store }), counters().counters);
      const answer = await cache.getOrValidate('a', async () => {
        // A slow validation: by now the guard would try a failing store again.
        vi.setSystemTime(Date.now() + 10_000);
        return valid(inSeconds(600));
      });
      expect(answer).toMatchObject({ kind: 'valid' });
      // No lock, no subject revocation read, no write: one failed call was the request's share.
      expect(calls).toEqual(['get']);
      // The next request starts with a budget of its own.
      await cache.getOrValidate('b', async () => valid(inSeconds(600)));
      expect(calls).toEqual(['get', 'get']);
    });

    it('a store that answers slowly spends the budget: no lock, no revocation read; the write is sent without waiting', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const { store, calls } = recording(async () => {
        // Answered, but past the request's whole budget (50 ms).
        vi.setSystemTime(Date.now() + 60);
        return undefined;
      });
      const { c, counters: k } = counters();
      const cache = createResultCache(settings({ store }), k);
      expect(await cache.getOrValidate('a', async () => valid(inSeconds(600)))).toMatchObject({
        kind: 'valid',
      });
      expect(calls).toEqual(['get', 'set']);
      expect(c.storeTimeout).toBe(0);
    });

    it('a healthy store gets every call of the request: read, lock, revocation read, write', async () => {
      const { store, calls } = recording(() => undefined);
      const cache = createResultCache(settings({ store }), counters().counters);
      await cache.getOrValidate('a', async () => valid(inSeconds(600)));
      expect(calls).toEqual(['get', 'coalesce', 'subjectRevokedBefore', 'set']);
    });

    it('a refusal still deletes an older entry when the budget is spent (sent, not awaited)', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const { store, calls } = recording(() => Promise.reject(new Error('LOADING')));
      const cache = createResultCache(settings({ store, inactiveTtlMs: 0 }), counters().counters);
      await cache.getOrValidate('a', async () => ({ kind: 'invalid' }));
      expect(calls).toEqual(['get', 'delete']);
    });
  });

  it('a value of the wrong shape from a store is a miss, never believed', async () => {
    const liar: CacheStore = {
      get: () => ({ result: { kind: 'valid', claims: 'root' }, freshUntilMs: 9e15 }) as never,
      set: () => {},
    };
    const cache = createResultCache(settings({ store: liar }), counters().counters);
    let calls = 0;
    await cache.getOrValidate('k', async () => {
      calls++;
      return { kind: 'invalid' };
    });
    expect(calls).toBe(1);
  });

  it('evict drops the entry here, in the store and in every subscribed cache', async () => {
    const store = createMemoryStore();
    const a = createResultCache(settings({ store }), counters().counters);
    const b = createResultCache(settings({ store }), counters().counters);
    await Promise.all([a.ready(), b.ready()]);
    await a.getOrValidate('k', async () => valid(inSeconds(600)));
    await b.getOrValidate('k', outage);
    await a.evict('k');
    expect(store.get('k')).toBeUndefined();
    await expect(b.getOrValidate('k', outage)).rejects.toThrow(UpstreamUnavailableError);
  });

  it('evictSubject drops every entry of that subject everywhere, and only those', async () => {
    const store = createMemoryStore();
    const a = createResultCache(settings({ store }), counters().counters);
    const b = createResultCache(settings({ store }), counters().counters);
    await a.getOrValidate('alice-1', async () => valid(inSeconds(600), 'alice'));
    await a.getOrValidate('alice-2', async () => valid(inSeconds(600), 'alice'));
    await a.getOrValidate('bob-1', async () => valid(inSeconds(600), 'bob'));
    for (const key of ['alice-1', 'alice-2', 'bob-1']) await b.getOrValidate(key, outage);
    await b.evictSubject('alice');
    for (const cache of [a, b]) {
      await expect(cache.getOrValidate('alice-1', outage)).rejects.toThrow();
      await expect(cache.getOrValidate('alice-2', outage)).rejects.toThrow();
      expect(await cache.getOrValidate('bob-1', outage)).toMatchObject({ kind: 'valid' });
    }
    expect((store.get('bob-1') as CacheEntry).subjectKey).toBe(hashSubject('ns', 'bob'));
  });

  it('an eviction the store did not confirm rejects (a webhook can answer 503), the local entry is gone anyway', async () => {
    const broken: CacheStore = {
      get: () => undefined,
      set: () => {},
      delete: () => Promise.reject(new Error('READONLY')),
      deleteSubject: () => Promise.reject(new Error('READONLY')),
    };
    const cache = createResultCache(settings({ store: broken }), counters().counters);
    await cache.getOrValidate('k', async () => valid(inSeconds(600)));
    await expect(cache.evict('k')).rejects.toThrow(UpstreamUnavailableError);
    await expect(cache.evictSubject('alice')).rejects.toThrow(UpstreamUnavailableError);
    await expect(cache.getOrValidate('k', outage)).rejects.toThrow(UpstreamUnavailableError);
  });

  it('a trace, when passed, names the tier that answered', async () => {
    const store = createMemoryStore();
    const a = createResultCache(settings({ store }), counters().counters);
    const b = createResultCache(settings({ store }), counters().counters);
    const traces: CacheTrace[] = [{}, {}, {}];
    for (const [i, cache] of [a, b, b].entries()) {
      await cache.getOrValidate('k', async () => valid(inSeconds(600)), traces[i]);
    }
    expect(traces.map((t) => t.cacheTier)).toEqual(['none', 'shared', 'local']);
  });

  it('a validation that started before an eviction does not store its (evicted) verdict', async () => {
    const store = createMemoryStore();
    const cache = createResultCache(settings({ store }), counters().counters);
    let release: () => void = () => {};
    const pending = cache.getOrValidate('k', async () => {
      await new Promise<void>((r) => {
        release = r;
      });
      return valid(inSeconds(600));
    });
    await new Promise((r) => setTimeout(r, 5));
    await cache.evict('k');
    release();
    await pending;
    expect(store.get('k')).toBeUndefined();
    await expect(cache.getOrValidate('k', outage)).rejects.toThrow();
  });
});

describe('createResultCache: stale-if-error (cache.staleIfErrorMs)', () => {
  const STALE = { maxTtlMs: 1000, staleIfErrorMs: 5000 };

  it('within the window, an outage is answered by the out-of-date entry, marked stale', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { c, counters: k } = counters();
    const cache = createResultCache(settings(STALE), k);
    await cache.getOrValidate('k', async () => valid(inSeconds(3600)));
    vi.setSystemTime(Date.now() + 3000);
    expect(await cache.getOrValidate('k', outage)).toMatchObject({ kind: 'valid', stale: true });
    expect(c.servedStale).toBe(1);
  });

  it('a verdict is never answered stale: an inactive answer wins and ends the fallback', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = createResultCache(settings(STALE), counters().counters);
    await cache.getOrValidate('k', async () => valid(inSeconds(3600)));
    vi.setSystemTime(Date.now() + 3000);
    expect(await cache.getOrValidate('k', async () => ({ kind: 'invalid' }))).toEqual({
      kind: 'invalid',
    });
    vi.setSystemTime(Date.now() + 1500);
    await expect(cache.getOrValidate('k', outage)).rejects.toThrow(UpstreamUnavailableError);
  });

  it('after the window, past exp, or after evict: the outage is passed on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const cache = createResultCache(settings(STALE), counters().counters);
    await cache.getOrValidate('late', async () => valid(inSeconds(3600)));
    await cache.getOrValidate('expiring', async () => valid(inSeconds(2)));
    await cache.getOrValidate('evicted', async () => valid(inSeconds(3600)));
    await cache.evict('evicted');
    vi.setSystemTime(Date.now() + 2500);
    await expect(cache.getOrValidate('expiring', outage)).rejects.toThrow();
    await expect(cache.getOrValidate('evicted', outage)).rejects.toThrow();
    vi.setSystemTime(Date.now() + 4000);
    await expect(cache.getOrValidate('late', outage)).rejects.toThrow();
  });

  it('a stale entry in the shared tier serves another instance', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const store = createMemoryStore();
    const a = createResultCache(settings({ ...STALE, store }), counters().counters);
    const b = createResultCache(settings({ ...STALE, store }), counters().counters);
    await a.getOrValidate('k', async () => valid(inSeconds(3600)));
    vi.setSystemTime(Date.now() + 3000);
    expect(await b.getOrValidate('k', outage)).toMatchObject({ kind: 'valid', stale: true });
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

  it('a URL is serialised by href (it used to vanish as {})', () => {
    expect(fingerprintSettings({ jwksUri: new URL('https://a.example/jwks') })).not.toBe(
      fingerprintSettings({ jwksUri: new URL('https://b.example/jwks') }),
    );
  });

  it('a value with no faithful serialisation throws, naming its path', () => {
    for (const bad of [new Map(), () => 1, new Date(0), Symbol('x')]) {
      expect(() => fingerprintSettings({ jwt: { thing: bad } })).toThrow(
        expect.objectContaining({ name: 'TokenGuardConfigError', option: 'jwt.thing' }),
      );
    }
  });
});
