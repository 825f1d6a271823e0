/**
 * Many instances on one shared cache, over real HTTP: two or more app instances, each its
 * own process, share one real `redis-server`, for Express, Koa and Fastify. Nothing is
 * mocked: the identity server, the Redis server and the apps all listen on loopback.
 */
import {
  createIdentityServer,
  type IdentityServer,
  type RedisServer,
  startRedisServer,
} from '@tokenguard/testing';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../conformance/expect-answer.js';
import { bearer, send } from '../conformance/http.js';
import {
  type Framework,
  type Instance,
  type InstanceConfig,
  startInstance,
} from './support/start-instance.js';

const HMAC_KEY = 'test-hmac-key-0123456789abcdef0123456789abcdef';
const FRAMEWORKS: Framework[] = ['express', 'koa', 'fastify'];

describe.each(FRAMEWORKS)('many instances on one Redis: %s', (framework) => {
  let idp: IdentityServer;
  let redis: RedisServer;
  let a: Instance;
  let b: Instance;
  let other: Instance;
  let inspector: ReturnType<typeof createClient>;

  const config = (extra: Partial<InstanceConfig> = {}): InstanceConfig => ({
    framework,
    redisUrl: redis.url,
    hmacKey: HMAC_KEY,
    introspectionEndpoint: idp.introspectionEndpoint,
    clientAuth: { method: 'bearer', token: idp.callerToken },
    ...extra,
  });

  beforeAll(async () => {
    [idp, redis] = await Promise.all([createIdentityServer(), startRedisServer()]);
    [a, b, other] = await Promise.all([
      startInstance(config()),
      startInstance(config()),
      // Another service: other credentials for the same identity service, same Redis.
      startInstance(
        config({
          clientAuth: {
            method: 'client_secret_basic',
            clientId: idp.defaultClient.clientId,
            clientSecret: idp.defaultClient.clientSecret,
          },
        }),
      ),
    ]);
    inspector = createClient({ url: redis.url });
    inspector.on('error', () => {});
    await inspector.connect();
  }, 60_000);

  afterAll(async () => {
    inspector?.destroy();
    await Promise.all([a?.stop(), b?.stop(), other?.stop()]);
    await Promise.all([idp?.close(), redis?.stop()]);
  });

  const get = (instance: Instance, token: string) =>
    send(instance.url, '/protected', { headers: bearer(token) });

  it('the second instance makes 0 upstream calls for a token the first validated', async () => {
    const t = idp.mintToken({ sub: 'alice', scope: 'orders:read' });
    idp.resetCalls();
    expect((await get(a, t)).status).toBe(200);
    expect(idp.calls.introspect).toBe(1);
    const answer = await get(b, t);
    expect(answer.status).toBe(200);
    expect(answer.body.auth).toEqual({ sub: 'alice', scope: 'orders:read', stale: false });
    expect(idp.calls.introspect).toBe(1);
    expect(await b.call('metrics')).toMatchObject({ sharedHits: 1, upstreamCalls: 0 });
  });

  it('evict on one instance is heard by every instance within 100 ms; the revoked token is refused everywhere', async () => {
    const t = idp.mintToken({ sub: 'bob' });
    for (const instance of [a, b]) expect((await get(instance, t)).status).toBe(200);
    idp.revoke(t);
    // Still cached everywhere: the identity service is not asked again until evicted.
    expect((await get(b, t)).status).toBe(200);
    const before = (await b.call<unknown[]>('invalidations')).length;
    const started = Date.now();
    await a.call('evict', t);
    let heardAt: number | undefined;
    while (heardAt === undefined && Date.now() - started < 2000) {
      const heard = await b.call<{ at: number }[]>('invalidations');
      heardAt = heard[before]?.at;
      if (heardAt === undefined) await sleep(5);
    }
    expect(heardAt).toBeDefined();
    expect((heardAt as number) - started).toBeLessThanOrEqual(100);
    for (const instance of [a, b]) expect((await get(instance, t)).status).toBe(401);
  });

  it('evictSubject logs a user out on every instance', async () => {
    const tokens = [idp.mintToken({ sub: 'carol' }), idp.mintToken({ sub: 'carol' })];
    const bystander = idp.mintToken({ sub: 'dave' });
    for (const t of [...tokens, bystander]) {
      expect((await get(a, t)).status).toBe(200);
      expect((await get(b, t)).status).toBe(200);
    }
    for (const t of tokens) idp.revoke(t);
    await b.call('evictSubject', 'carol');
    await sleep(100);
    idp.resetCalls();
    for (const instance of [a, b]) {
      for (const t of tokens) expect((await get(instance, t)).status).toBe(401);
      expect((await get(instance, bystander)).status).toBe(200);
    }
    // The bystander stayed cached on both instances.
    expect(idp.calls.introspect).toBe(2);
  });

  it('a forged value written straight into Redis is refused (and counted)', async () => {
    const junk = `never-issued-${framework}-${Date.now()}`;
    const before = new Set(await inspector.keys('tokenguard:e:*'));
    expect((await get(a, junk)).status).toBe(401);
    const created = (await inspector.keys('tokenguard:e:*')).filter((k) => !before.has(k));
    expect(created).toHaveLength(1);
    const key = created[0] as string;
    // 1. A positive entry with an invented MAC (an attacker with write access, no HMAC key).
    const payload = JSON.stringify({
      f: Date.now() + 600_000,
      v: {
        kind: 'valid',
        strategy: 'introspection',
        claims: { active: true, sub: 'mallory', scope: 'admin' },
      },
    });
    await inspector.set(key, `1.${Buffer.alloc(32, 7).toString('base64url')}.${payload}`, {
      expiration: { type: 'PX', value: 600_000 },
    });
    expect((await get(b, junk)).status).toBe(401);
    // 2. A genuine value, copied from a valid token's key: the MAC binds it to its own key.
    const junk2 = `${junk}-2`;
    const valid = idp.mintToken({ sub: 'erin' });
    const known = new Set(await inspector.keys('tokenguard:e:*'));
    expect((await get(a, junk2)).status).toBe(401);
    expect((await get(a, valid)).status).toBe(200);
    const [junk2Key, validKey] = await (async () => {
      const added = (await inspector.keys('tokenguard:e:*')).filter((k) => !known.has(k));
      const values = await Promise.all(added.map((k) => inspector.get(k)));
      // The valid token's entry is the positive one.
      const positive = added.find((_, i) => values[i]?.includes('"kind":"valid"')) as string;
      return [added.find((k) => k !== positive) as string, positive];
    })();
    await inspector.set(junk2Key, (await inspector.get(validKey)) as string, {
      expiration: { type: 'PX', value: 600_000 },
    });
    expect((await get(b, junk2)).status).toBe(401);
    const metrics = await b.call<{ store: { rejectedValues: number } }>('metrics');
    expect(metrics.store.rejectedValues).toBeGreaterThanOrEqual(2);
  });

  it('two services with different credentials on one Redis stay apart', async () => {
    const t = idp.mintToken({ sub: 'frank' });
    idp.resetCalls();
    expect((await get(a, t)).status).toBe(200);
    expect((await get(other, t)).status).toBe(200);
    // The other service asked for itself: RFC 7662 §4 lets the answer depend on the caller.
    expect(idp.calls.introspect).toBe(2);
    expect(await other.call('metrics')).toMatchObject({ upstreamCalls: expect.any(Number) });
  });

  it('Redis killed mid-run and restarted: 0 wrong answers, 0 unexpected 5xx, sharing resumes', async () => {
    const goods = Array.from({ length: 10 }, (_, i) => idp.mintToken({ sub: `user-${i}` }));
    const bads = Array.from({ length: 5 }, (_, i) => `bad-${framework}-${i}-${Date.now()}`);
    const wrong: string[] = [];
    let answered = 0;
    let running = true;
    const traffic = (async () => {
      let i = 0;
      while (running) {
        const instance = i % 2 === 0 ? a : b;
        const good = i % 3 !== 0;
        // Every fifth request brings a token nobody has seen: it must reach the identity service.
        const token = !good
          ? (bads[i % bads.length] as string)
          : i % 5 === 0
            ? idp.mintToken()
            : (goods[i % goods.length] as string);
        const { status } = await get(instance, token);
        answered++;
        if (status !== (good ? 200 : 401)) wrong.push(`${good ? 'good' : 'bad'} → ${status}`);
        i++;
      }
    })();
    await sleep(300);
    await redis.kill();
    await sleep(700);
    await redis.restart();
    // node-redis reconnects by itself; wait until both instances are back.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !((await a.call('ready')) && (await b.call('ready')))) {
      await sleep(50);
    }
    await sleep(300);
    running = false;
    await traffic;
    expect(wrong).toEqual([]);
    expect(answered).toBeGreaterThan(20);
    // The shared tier works again: a new token validated by A costs B nothing.
    await inspector.connect().catch(() => {});
    const t = idp.mintToken();
    expect((await get(a, t)).status).toBe(200);
    idp.resetCalls();
    expect((await get(b, t)).status).toBe(200);
    expect(idp.calls.introspect).toBe(0);
  }, 30_000);
});
