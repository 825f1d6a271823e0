/**
 * The store behind Redis Sentinel: one master, one replica, three sentinels, started by
 * `startRedisSentinel` (a machine without redis-server fails here with the install command).
 * Everything the single server does, then the master killed: the sentinels promote the
 * replica, the node-redis sentinel client follows, and the store works again.
 */
import { execFileSync } from 'node:child_process';
import type { RedisSentinelSetup } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entry, storeCases, storeFactory } from './support/store-cases.js';
import { eventually, startTopology, type Topology } from './support/topologies.js';

let topology: Topology & { sentinel?: RedisSentinelSetup };
const setup = () => topology.sentinel as RedisSentinelSetup;

beforeAll(async () => {
  topology = await startTopology('sentinel');
}, 60_000);
afterAll(async () => {
  await topology?.stop();
});

describe('createRedisStore behind Redis Sentinel (master, replica, 3 sentinels)', () => {
  storeCases(() => topology);
});

describe('createRedisStore: a Sentinel failover', () => {
  const storeOn = storeFactory(() => topology);

  it('the master killed: the replica is promoted, entries written before are read back, invalidations flow again', async () => {
    const { store: one } = await storeOn();
    const { store: two } = await storeOn();
    const heard: unknown[] = [];
    await two.subscribe?.((m) => heard.push(m));
    const e = entry('failover');
    // Kept longer than the test can take (the promotion, then the clients' switch, each up to
    // 15 s on a loaded machine): an entry that expired on its own would read as lost.
    await one.set('before-failover', e, 300_000);
    const before = await setup().master();
    // Replication is asynchronous: only an entry the replica holds can be expected on it once
    // promoted. (WAIT would not tell: it counts acknowledgements of its own connection's writes,
    // and redis-cli's connection wrote nothing.)
    const replica = setup().nodes.find((node) => node !== before);
    expect(replica).toBeDefined();
    const cli = ['-p', String(replica?.port), 'EXISTS', 'tokenguard:e:before-failover'];
    const held = () => String(execFileSync('redis-cli', cli)).trim() === '1' || undefined;
    expect(await eventually(held, 5000)).toBe(true);
    const { promoted, ms } = await setup().killMaster();
    expect(promoted).not.toBe(before);
    expect(ms).toBeLessThan(15_000);
    const started = Date.now();
    while (!heard.some((m) => (m as { key?: string }).key === 'after-failover')) {
      if (Date.now() - started > 15_000) break;
      await Promise.resolve(one.publish?.({ kind: 'key', key: 'after-failover' })).catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(heard).toContainEqual({ kind: 'key', key: 'after-failover' });
    // Once `two`'s own client is back, the entry the replica held is there.
    expect(await eventually(() => two.get('before-failover'))).toEqual(e);
    await eventually(async () => {
      await one.set('after-failover', e, 30_000);
      return true;
    });
    expect(await eventually(() => two.get('after-failover'))).toEqual(e);
    await setup().restart(before);
  }, 60_000);
});
