/**
 * The store on a real Redis Cluster: 3 masters, 3 replicas, started by
 * `startRedisCluster` (a machine without redis-server fails here with the install command).
 * Everything the single server does, plus what only a cluster has: entries spread over every
 * master, the subject index in its subject's slot, invalidations on sharded pub/sub (one
 * shard, not the whole cluster bus), slot migration (ASK, then MOVED) and a master failover.
 */
import type { RedisCluster } from '@tokenguard/testing';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entry, storeCases, storeFactory, until } from './support/store-cases.js';
import { eventually, startTopology, type Topology } from './support/topologies.js';

const CHANNEL = 'tokenguard:invalidations';
let topology: Topology & { cluster?: RedisCluster };
const cluster = () => topology.cluster as RedisCluster;

beforeAll(async () => {
  topology = await startTopology('cluster');
}, 60_000);
afterAll(async () => {
  await topology?.stop();
});

describe('createRedisStore on a Redis Cluster (3 masters, 3 replicas)', () => {
  storeCases(() => topology);
});

describe('createRedisStore: what only a cluster has', () => {
  const storeOn = storeFactory(() => topology);

  it('entries spread over every master; a subject index lives in its subject’s hash-tag slot', async () => {
    const { store } = await storeOn();
    const keys = Array.from({ length: 30 }, (_, i) => `spread-${i}`);
    for (const k of keys) await store.set(k, entry('spread'), 5000);
    const masters = new Set(
      await Promise.all(
        keys.map(async (k) => (await cluster().shardOf(`tokenguard:e:${k}`)).master),
      ),
    );
    expect(masters.size).toBe(3);
    // The index key carries the subject as its hash tag: its slot is the subject's.
    expect(await cluster().keySlot('tokenguard:s:{subject-of-spread}')).toBe(
      await cluster().keySlot('subject-of-spread'),
    );
    await store.deleteSubject?.('subject-of-spread');
    for (const k of keys) expect(await store.get(k)).toBeUndefined();
  });

  it('invalidations use sharded pub/sub: subscribed on the channel’s shard only, none on the classic channel', async () => {
    const { store: one } = await storeOn();
    const { store: two } = await storeOn();
    const heard: unknown[] = [];
    await two.subscribe?.((m) => heard.push(m));
    const shard = await cluster().shardOf('tokenguard:invalidations');
    // Ask every node directly who subscribes, on which kind of channel.
    const counts = await Promise.all(
      cluster().nodes.map(async (node) => {
        const direct = createClient({ url: node.url });
        direct.on('error', () => {});
        await direct.connect();
        try {
          const sharded = (await direct.sendCommand([
            'PUBSUB',
            'SHARDNUMSUB',
            CHANNEL,
          ])) as unknown[];
          const classic = (await direct.sendCommand(['PUBSUB', 'NUMSUB', CHANNEL])) as unknown[];
          return { node, sharded: Number(sharded[1]), classic: Number(classic[1]) };
        } finally {
          direct.destroy();
        }
      }),
    );
    const inShard = [shard.master, ...shard.replicas];
    expect(counts.filter((c) => inShard.includes(c.node)).reduce((n, c) => n + c.sharded, 0)).toBe(
      1,
    );
    expect(counts.filter((c) => !inShard.includes(c.node)).reduce((n, c) => n + c.sharded, 0)).toBe(
      0,
    );
    expect(counts.reduce((n, c) => n + c.classic, 0)).toBe(0);
    await one.publish?.({ kind: 'key', key: 'sharded' });
    await until(() => heard.length === 1);
    expect(heard).toEqual([{ kind: 'key', key: 'sharded' }]);
  });

  it('a slot moving between masters (ASK while it migrates, MOVED after): every read is the entry or a clean miss, never an error', async () => {
    const { store } = await storeOn();
    const { store: reader } = await storeOn();
    // Keys that share one slot, so the migration moves all of them (a hash tag in the test
    // keys only: the store's own keys are spread by token hash).
    const keys = Array.from({ length: 20 }, (_, i) => `{migrating}-${i}`);
    const e = entry('migrant');
    for (const k of keys) await store.set(k, e, 30_000);
    const slot = await cluster().keySlot(`tokenguard:e:${keys[0]}`);
    const from = (await cluster().shardOf(`tokenguard:e:${keys[0]}`)).master;
    const to = (await cluster().shards()).map((s) => s.master).find((m) => m !== from);
    if (to === undefined) throw new Error('no other master');
    const errors: unknown[] = [];
    const answers = { hit: 0, miss: 0 };
    const readAll = async () => {
      for (const k of keys) {
        try {
          const got = await reader.get(k);
          if (got === undefined) answers.miss++;
          else {
            expect(got).toEqual(e);
            answers.hit++;
          }
        } catch (error) {
          errors.push(error);
        }
      }
    };
    const migration = await cluster().beginSlotMigration(slot, to);
    await readAll(); // MIGRATING / IMPORTING, nothing moved yet
    expect(await migration.moveKeys(10)).toBe(10);
    await readAll(); // half moved: ASK for the moved half
    await store.set(`{migrating}-new`, e, 30_000); // a write during the migration
    await migration.finish();
    await readAll(); // MOVED
    expect(errors).toEqual([]);
    expect(answers.miss).toBe(0);
    expect(answers.hit).toBe(keys.length * 3);
    expect(await reader.get('{migrating}-new')).toEqual(e);
    expect((await cluster().shardOf(`tokenguard:e:${keys[0]}`)).master).toBe(to);
  });

  it('the master of the channel’s shard killed: its replica is promoted and invalidations flow again', async () => {
    const { store: one } = await storeOn();
    const { store: two } = await storeOn();
    const heard: unknown[] = [];
    await two.subscribe?.((m) => heard.push(m));
    // An entry in the channel's slot (a hash tag in the test key), so the same failover
    // moves both; it has reached the replica before the master dies.
    const e = entry('failover');
    await one.set(`{${CHANNEL}}`, e, 30_000);
    const shard = await cluster().shardOf(CHANNEL);
    const replica = shard.replicas[0];
    if (replica === undefined) throw new Error('no replica');
    const direct = createClient({ url: replica.url });
    direct.on('error', () => {});
    await direct.connect();
    await direct.sendCommand(['READONLY']);
    // Replication is asynchronous (a replica that just synced gets the stream after its first
    // acknowledgement, up to a second later): wait until it holds the entry.
    const held = await eventually(
      async () => (await direct.exists(`tokenguard:e:{${CHANNEL}}`)) === 1 || undefined,
      5000,
    );
    direct.destroy();
    expect(held).toBe(true);
    const { ms } = await cluster().killMaster(shard.master);
    expect(ms).toBeLessThan(15_000);
    // The store is back once the clients have seen the new topology; count how long.
    const started = Date.now();
    let published = false;
    while (!heard.some((m) => (m as { key?: string }).key === 'after-failover')) {
      if (Date.now() - started > 15_000) break;
      published = await Promise.resolve(one.publish?.({ kind: 'key', key: 'after-failover' })).then(
        () => true,
        () => false,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(published).toBe(true);
    expect(heard).toContainEqual({ kind: 'key', key: 'after-failover' });
    // Written and replicated before the failover: the promoted replica serves it.
    expect(await eventually(() => two.get(`{${CHANNEL}}`))).toEqual(e);
    await cluster().restart(shard.master);
  }, 60_000);
});
