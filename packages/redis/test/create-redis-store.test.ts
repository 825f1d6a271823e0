/**
 * The Redis store against a real `redis-server` (started on a free loopback port by
 * `startRedisServer`; a machine without one fails here with the install command).
 */
import type { CacheEntry } from '@tokenguard/core';
import { type RedisServer, startRedisServer } from '@tokenguard/testing';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStore, type RedisStore } from '../src/index.js';

const HMAC_KEY = 'k'.repeat(32);
/** The guard's store deadline, as it passes it to `coalesce`. */
const DEADLINE = { timeoutMs: 1000 };
function newClient() {
  const client = createClient({ url: server.url });
  client.on('error', () => {});
  return client;
}
type Client = ReturnType<typeof newClient>;

let server: RedisServer;
const clients: Client[] = [];
const stores: RedisStore[] = [];

beforeAll(async () => {
  server = await startRedisServer();
});
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(async () => {
  await server?.stop();
});

async function connect(): Promise<Client> {
  const client = newClient();
  await client.connect();
  clients.push(client);
  return client;
}

async function storeOn(
  extra: Partial<Parameters<typeof createRedisStore>[0]> = {},
): Promise<{ store: RedisStore; client: Client; warnings: string[] }> {
  const client = await connect();
  const warnings: string[] = [];
  const store = createRedisStore({
    client,
    hmacKey: HMAC_KEY,
    logger: { warn: (m) => warnings.push(m) },
    ...extra,
  });
  stores.push(store);
  return { store, client, warnings };
}

const entry = (sub = 'alice', extra: Partial<CacheEntry> = {}): CacheEntry => ({
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

async function bytesSentByServer(client: Client): Promise<number> {
  const info = await client.info('stats');
  return Number(/total_net_output_bytes:(\d+)/.exec(info)?.[1]);
}

async function waitFor(condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('createRedisStore', () => {
  it('round-trips an entry: compact, authenticated, with a PX TTL no longer than asked', async () => {
    const { store, client } = await storeOn();
    const e = entry();
    await store.set('key-1', e, 5000);
    expect(await store.get('key-1')).toEqual(e);
    const pttl = await client.pTTL('tokenguard:e:key-1');
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(5000);
    const raw = (await client.get('tokenguard:e:key-1')) as string;
    expect(raw).toMatch(/^2\.[A-Za-z0-9_-]{43}\.\{/);
    expect(await store.get('absent')).toBeUndefined();
    expect(store.metrics()).toMatchObject({ hits: 1, misses: 1 });
  });

  it('keeps an inactive result with its reason, and a notAfterMs', async () => {
    const { store } = await storeOn();
    const negative: CacheEntry = {
      result: { kind: 'invalid', reason: 'token_inactive' },
      freshUntilMs: Date.now() + 1000,
      validatedAtMs: Date.now(),
    };
    await store.set('neg', negative, 1000);
    expect(await store.get('neg')).toEqual(negative);
    const capped = entry('bob', {
      result: { ...entry('bob').result, notAfterMs: Date.now() + 1000 } as CacheEntry['result'],
    });
    await store.set('capped', capped, 1000);
    expect(await store.get('capped')).toEqual(capped);
    // Fields the guard adds to results later (e.g. the issuer that validated) survive as is.
    const withIssuer = entry('carl', {
      result: {
        ...entry('carl').result,
        issuer: 'https://id.example',
      } as unknown as CacheEntry['result'],
    });
    await store.set('issuer', withIssuer, 1000);
    expect(await store.get('issuer')).toEqual(withIssuer);
  });

  it('a value that fails its HMAC check is a miss, counted and logged once', async () => {
    const { store, client, warnings } = await storeOn();
    await store.set('key-1', entry(), 5000);
    const raw = (await client.get('tokenguard:e:key-1')) as string;
    await client.set('tokenguard:e:key-1', raw.replace('orders:read', 'orders:admin'));
    expect(await store.get('key-1')).toBeUndefined();
    await client.set('tokenguard:e:key-2', 'not even our format');
    expect(await store.get('key-2')).toBeUndefined();
    // A genuine value copied to another key: the MAC covers the key.
    await client.set('tokenguard:e:key-3', raw);
    expect(await store.get('key-3')).toBeUndefined();
    expect(store.metrics().rejectedValues).toBe(3);
    expect(warnings.filter((w) => w.includes('integrity check'))).toHaveLength(1);
  });

  it('a store with another HMAC key cannot read the entries', async () => {
    const { store } = await storeOn();
    const { store: stranger } = await storeOn({ hmacKey: 'x'.repeat(32) });
    await store.set('key-1', entry(), 5000);
    expect(await stranger.get('key-1')).toBeUndefined();
  });

  it('deleteSubject deletes every entry of that subject, and only those', async () => {
    const { store, client } = await storeOn();
    await store.set('a1', entry('zoe'), 5000);
    await store.set('a2', entry('zoe'), 9000);
    await store.set('b1', entry('yann'), 5000);
    const indexTtl = await client.pTTL('tokenguard:s:{subject-of-zoe}');
    expect(indexTtl).toBeGreaterThan(5000);
    await store.deleteSubject?.('subject-of-zoe');
    expect(await store.get('a1')).toBeUndefined();
    expect(await store.get('a2')).toBeUndefined();
    expect(await store.get('b1')).toBeDefined();
    expect(store.metrics().evictions).toBe(2);
  });

  it('invalidations reach every subscribed store; forged messages are ignored', async () => {
    const { store: one } = await storeOn();
    const { store: two, client } = await storeOn();
    const heard: unknown[] = [];
    await two.subscribe?.((m) => heard.push(m));
    await one.publish?.({ kind: 'subject', subjectKey: 's1' });
    await client.publish('tokenguard:invalidations', '1.AAAA.{"kind":"key","key":"x"}');
    await one.publish?.({ kind: 'key', key: 'k1' });
    const deadline = Date.now() + 2000;
    while (heard.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(heard).toEqual([
      { kind: 'subject', subjectKey: 's1' },
      { kind: 'key', key: 'k1' },
    ]);
    expect(two.metrics().rejectedMessages).toBe(1);
  });

  it('the subscriber it opened closes with the last guard (a process can exit), not before', async () => {
    const { store, client } = await storeOn();
    const subscribers = async () =>
      (
        (await client.sendCommand(['PUBSUB', 'NUMSUB', 'tokenguard:invalidations'])) as unknown[]
      )[1];
    const first = await store.subscribe?.(() => {});
    const second = await store.subscribe?.(() => {});
    expect(await subscribers()).toBe(1);
    await first?.();
    expect(await subscribers()).toBe(1);
    await second?.();
    // The socket is closed on our side when close() resolves; the server notices a moment
    // later, so its count is read until it drops (or two seconds pass).
    const deadline = Date.now() + 2000;
    while ((await subscribers()) !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await subscribers()).toBe(0);
    // A guard created afterwards subscribes again.
    const third = await store.subscribe?.(() => {});
    expect(await subscribers()).toBe(1);
    await third?.();
  });

  it('lock: concurrent misses on two instances call fill once; the other gets its entry', async () => {
    const { store: one } = await storeOn({ lock: true });
    const { store: two } = await storeOn({ lock: true });
    let fills = 0;
    const fillFor = (store: RedisStore) => async () => {
      fills++;
      await new Promise((r) => setTimeout(r, 100));
      const e = entry();
      await store.set('hot', e, 5000);
      return e;
    };
    const [x, y] = await Promise.all([
      one.coalesce?.('hot', fillFor(one), DEADLINE),
      two.coalesce?.('hot', fillFor(two), DEADLINE),
    ]);
    expect(fills).toBe(1);
    expect(x).toEqual(y);
    const [m1, m2] = [one.metrics(), two.metrics()];
    expect(m1.lockAcquired + m2.lockAcquired).toBe(1);
    expect(m1.lockWaits + m2.lockWaits).toBe(1);
  });

  it('lock: a holder that never stores lets the waiter ask for itself at the deadline', async () => {
    const { store: one } = await storeOn({ lock: { waitMs: 200, pollMs: 20 } });
    const { store: two } = await storeOn({ lock: { waitMs: 200, pollMs: 20 } });
    let release: () => void = () => {};
    const holder = one.coalesce?.(
      'slow',
      async () => {
        await new Promise<void>((r) => {
          release = r;
        });
        return entry();
      },
      DEADLINE,
    );
    await new Promise((r) => setTimeout(r, 20));
    let waiterFilled = false;
    const waiter = await two.coalesce?.(
      'slow',
      async () => {
        waiterFilled = true;
        return entry('bob');
      },
      DEADLINE,
    );
    expect(waiterFilled).toBe(true);
    expect(waiter?.result).toMatchObject({ claims: { sub: 'bob' } });
    expect(two.metrics().lockFallbacks).toBe(1);
    release();
    await holder;
  });

  it('lock: a lock older than waitMs (its holder died, or its release was lost in a failover) is not waited on', async () => {
    const { store, client } = await storeOn({ lock: { ttlMs: 120_000, waitMs: 60_000 } });
    // Taken 90 s ago by an instance that never released it: 30 s of its TTL are left.
    await client.set('tokenguard:l:orphaned', 'gone', {
      expiration: { type: 'PX', value: 30_000 },
    });
    let filled = 0;
    const answer = await store.coalesce?.(
      'orphaned',
      async () => {
        filled++;
        return entry('olga');
      },
      DEADLINE,
    );
    expect(answer?.result).toMatchObject({ claims: { sub: 'olga' } });
    expect(filled).toBe(1);
    expect(store.metrics()).toMatchObject({ lockWaits: 1, lockFallbacks: 1 });
  });

  it('lock: fill is told how long the store commands took, so the request knows what is left of its deadline', async () => {
    const { store } = await storeOn({ lock: true });
    const told: ({ storeMs: number } | undefined)[] = [];
    await store.coalesce?.(
      'told',
      async (spent) => {
        told.push(spent);
        return entry();
      },
      DEADLINE,
    );
    expect(told).toHaveLength(1);
    expect(told[0]?.storeMs).toBeGreaterThanOrEqual(0);
    expect(told[0]?.storeMs).toBeLessThan(DEADLINE.timeoutMs);
  });

  it('a client that is not ready fails at once (the guard counts a miss, no waiting)', async () => {
    const client = newClient();
    const store = createRedisStore({ client, hmacKey: HMAC_KEY });
    await expect(store.get('k')).rejects.toThrow(/not ready/);
    expect(await store.health?.({ probe: false })).toBe(false);
    expect(store.metrics().errors).toBe(1);
  });

  it('health: true when connected; probe sends a PING', async () => {
    const { store } = await storeOn();
    expect(await store.health?.({ probe: false })).toBe(true);
    expect(await store.health?.({ probe: true })).toBe(true);
  });

  it('add: records a key once across stores (DPoP jti replay, RFC 9449 §11.1)', async () => {
    const { store: one } = await storeOn();
    const { store: two } = await storeOn();
    expect(await one.add?.('jti-1', 5000)).toBe(true);
    expect(await two.add?.('jti-1', 5000)).toBe(false);
    expect(await two.add?.('jti-2', 5000)).toBe(true);
  });

  it('a value over the size limit is refused without being transferred (its MAC is never computed)', async () => {
    const { store, client } = await storeOn();
    await client.set('tokenguard:e:huge', `2.${'A'.repeat(43)}.${'x'.repeat(32 * 1024 * 1024)}`);
    const sentBefore = await bytesSentByServer(client);
    expect(await store.get('huge')).toBeUndefined();
    // The server sent the limit's worth of it, not 32 MiB.
    expect((await bytesSentByServer(client)) - sentBefore).toBeLessThan(1024 * 1024);
    expect(store.metrics().rejectedValues).toBe(1);
  });

  it('the validation time is inside the MAC: changing it makes the value a forgery', async () => {
    const { store, client } = await storeOn();
    const validatedAtMs = Date.now() - 5000;
    await store.set('dated', entry('dora', { validatedAtMs }), 5000);
    expect((await store.get('dated'))?.validatedAtMs).toBe(validatedAtMs);
    const raw = (await client.get('tokenguard:e:dated')) as string;
    await client.set(
      'tokenguard:e:dated',
      raw.replace(`"w":${validatedAtMs}`, `"w":${Date.now()}`),
    );
    expect(await store.get('dated')).toBeUndefined();
    expect(store.metrics().rejectedValues).toBe(1);
  });

  it('delete(key) also deletes the entries stored with that tokenKey (the token under issuers’ own namespaces)', async () => {
    const { store } = await storeOn();
    await store.set('tenant-1-key', entry('erin', { tokenKey: 'guard-wide' }), 5000);
    await store.set('tenant-2-key', entry('erin', { tokenKey: 'guard-wide' }), 5000);
    await store.set('other-token', entry('erin', { tokenKey: 'someone-else' }), 5000);
    await store.delete?.('guard-wide');
    expect(await store.get('tenant-1-key')).toBeUndefined();
    expect(await store.get('tenant-2-key')).toBeUndefined();
    expect(await store.get('other-token')).toBeDefined();
  });

  it('lock: every command is bounded by the deadline: a write-paused Redis (CLIENT PAUSE WRITE) costs a local fill, not the pause', async () => {
    const { store } = await storeOn({ lock: true });
    const admin = await connect();
    const probe = await connect();
    await admin.sendCommand(['CLIENT', 'PAUSE', '5000', 'WRITE']);
    try {
      // A write sent now stays blocked for the whole pause.
      let probeAnswered = false;
      const blocked = probe.set('tokenguard:probe', '1').then(() => {
        probeAnswered = true;
      });
      let filled = 0;
      const answer = await store.coalesce?.(
        'paused',
        async () => {
          filled++;
          return entry('paul');
        },
        { timeoutMs: 100 },
      );
      expect(answer?.result).toMatchObject({ claims: { sub: 'paul' } });
      expect(filled).toBe(1);
      // Answered while Redis still held every write.
      expect(probeAnswered).toBe(false);
      expect(store.metrics().lockFallbacks).toBe(1);
      await admin.sendCommand(['CLIENT', 'UNPAUSE']);
      await blocked;
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE']);
    }
  });

  it('the channel going down and coming back is told to the listeners (lost, then resumed)', async () => {
    const { store } = await storeOn();
    const heard: string[] = [];
    await store.subscribe?.((m) => heard.push(m.kind));
    await server.kill();
    await waitFor(() => heard.includes('lost'));
    await server.restart();
    await waitFor(() => heard.includes('resumed'));
    expect(heard).toEqual(['lost', 'resumed']);
    // Resubscribed: an invalidation published now is heard.
    const { store: other } = await storeOn();
    await other.publish?.({ kind: 'key', key: 'after-restart', atMs: 1 });
    await waitFor(() => heard.includes('key'));
  });

  it('revokeSubject: another instance reads the time; the latest wins; a forged one is ignored', async () => {
    const { store, client } = await storeOn();
    const { store: other } = await storeOn();
    await store.revokeSubject?.('subject-of-rita', 2000, 5000);
    await store.revokeSubject?.('subject-of-rita', 1000, 5000);
    expect(await other.subjectRevokedBefore?.('subject-of-rita')).toBe(2000);
    expect(await other.subjectRevokedBefore?.('subject-of-nobody')).toBeUndefined();
    const [key] = await client.keys('tokenguard:r:*');
    if (key === undefined) throw new Error('no revocation in Redis');
    expect(await client.pTTL(key)).toBeLessThanOrEqual(5000);
    const raw = (await client.get(key)) as string;
    await client.set(key, raw.replace('2000', '1'));
    expect(await other.subjectRevokedBefore?.('subject-of-rita')).toBeUndefined();
  });

  it('refuses bad options with a TypeError naming them', async () => {
    const client = await connect();
    expect(() => createRedisStore({ client, hmacKey: 'short' })).toThrow(/hmacKey/);
    expect(() => createRedisStore({ client: {} as never, hmacKey: HMAC_KEY })).toThrow(/client/);
    expect(() => createRedisStore({ client, hmacKey: HMAC_KEY, lock: { waitMs: 0 } })).toThrow(
      /lock\.waitMs/,
    );
  });
});
