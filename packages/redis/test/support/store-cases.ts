/**
 * What the store does on one server, asserted again on a replicated topology (cluster or
 * Sentinel): the cases every topology must pass. Each test file starts its topology once
 * and calls `storeCases` with it.
 */
import type { CacheEntry } from '@tokenguard/core';
import { afterEach, expect, it } from 'vitest';
import { createRedisStore, type RedisStore, type RedisStoreOptions } from '../../src/index.js';
import type { Topology } from './topologies.js';

export const HMAC_KEY = 'topology-hmac-key-0123456789abcdef0123';

export const entry = (sub = 'alice', extra: Partial<CacheEntry> = {}): CacheEntry => ({
  result: {
    kind: 'valid',
    claims: { active: true, sub, scope: 'orders:read', exp: Math.floor(Date.now() / 1000) + 600 },
    strategy: 'introspection',
  },
  freshUntilMs: Date.now() + 60_000,
  validatedAtMs: Date.now(),
  subjectKey: `subject-of-${sub}`,
  ...extra,
});

export async function until(check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}

/** Stores made by `storeOn`, closed after each test with their clients. */
export function storeFactory(topology: () => Topology) {
  const stores: RedisStore[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await topology().closeClients();
  });
  return async function storeOn(extra: Partial<RedisStoreOptions> = {}) {
    const client = await topology().connect();
    const warnings: string[] = [];
    const store = createRedisStore({
      client,
      hmacKey: HMAC_KEY,
      logger: { warn: (m) => warnings.push(m) },
      ...extra,
    });
    stores.push(store);
    return { store, client, warnings };
  };
}

export function storeCases(topology: () => Topology): void {
  const storeOn = storeFactory(topology);

  it('round-trips an entry with a PX TTL no longer than asked; another instance reads it', async () => {
    const { store, client } = await storeOn();
    const { store: other } = await storeOn();
    const e = entry();
    await store.set('round-trip', e, 5000);
    expect(await other.get('round-trip')).toEqual(e);
    const pttl = Number(
      await (client as unknown as { pTTL(k: string): Promise<number> }).pTTL(
        'tokenguard:e:round-trip',
      ),
    );
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5000);
    expect(await other.get('never-written')).toBeUndefined();
  });

  it('a value that fails its HMAC check (tampered, copied to another key, foreign key) is a miss', async () => {
    const { store, client } = await storeOn();
    const { store: stranger } = await storeOn({ hmacKey: 'x'.repeat(32) });
    await store.set('hmac-1', entry(), 5000);
    const raw = (await client.get('tokenguard:e:hmac-1')) as string;
    await client.set('tokenguard:e:hmac-2', raw.replace('orders:read', 'orders:admin'));
    await client.set('tokenguard:e:hmac-3', raw);
    expect(await store.get('hmac-2')).toBeUndefined();
    expect(await store.get('hmac-3')).toBeUndefined();
    expect(await stranger.get('hmac-1')).toBeUndefined();
    expect(store.metrics().rejectedValues).toBe(2);
    expect(await store.get('hmac-1')).toBeDefined();
  });

  it('deleteSubject deletes every entry of the subject, wherever it lives, and only those', async () => {
    const { store } = await storeOn();
    const { store: other } = await storeOn();
    const keys = Array.from({ length: 12 }, (_, i) => `subject-entry-${i}`);
    for (const k of keys) await store.set(k, entry('zoe'), 9000);
    await store.set('bystander', entry('yann'), 9000);
    await other.deleteSubject?.('subject-of-zoe');
    for (const k of keys) expect(await store.get(k)).toBeUndefined();
    expect(await store.get('bystander')).toBeDefined();
    expect(other.metrics().evictions).toBe(keys.length);
  });

  it('invalidations reach every subscribed store; forged messages are refused', async () => {
    const { store: one } = await storeOn();
    const { store: two } = await storeOn();
    const { store: three } = await storeOn();
    const heard: unknown[][] = [[], []];
    await two.subscribe?.((m) => heard[0]?.push(m));
    await three.subscribe?.((m) => heard[1]?.push(m));
    await one.publish?.({ kind: 'subject', subjectKey: 's1' });
    await one.publish?.({ kind: 'key', key: 'k1' });
    await until(() => heard.every((h) => h.length >= 2));
    for (const h of heard) {
      expect(h).toEqual([
        { kind: 'subject', subjectKey: 's1' },
        { kind: 'key', key: 'k1' },
      ]);
    }
  });

  it('lock: concurrent misses on two instances fill once; the other gets the entry', async () => {
    const { store: one } = await storeOn({ lock: true });
    const { store: two } = await storeOn({ lock: true });
    let fills = 0;
    const fillFor = (store: RedisStore) => async () => {
      fills++;
      await new Promise((r) => setTimeout(r, 100));
      const e = entry('hot');
      await store.set('hot', e, 5000);
      return e;
    };
    const [x, y] = await Promise.all([
      one.coalesce?.('hot', fillFor(one), { timeoutMs: 1000 }),
      two.coalesce?.('hot', fillFor(two), { timeoutMs: 1000 }),
    ]);
    expect(fills).toBe(1);
    expect(x).toEqual(y);
    expect(one.metrics().lockWaits + two.metrics().lockWaits).toBe(1);
  });

  it('add: a DPoP jti is recorded once across instances (RFC 9449 §11.1)', async () => {
    const { store: one } = await storeOn();
    const { store: two } = await storeOn();
    expect(await one.add?.('jti-1', 5000)).toBe(true);
    expect(await two.add?.('jti-1', 5000)).toBe(false);
    expect(await two.add?.('jti-2', 5000)).toBe(true);
  });

  it('health: true when connected; the probe is a PING', async () => {
    const { store } = await storeOn();
    expect(await store.health?.({ probe: false })).toBe(true);
    expect(await store.health?.({ probe: true })).toBe(true);
  });
}
