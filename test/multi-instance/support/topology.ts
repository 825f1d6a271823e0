/**
 * A replicated Redis topology for the many-instances tests, started for real by
 * `@tokenguard/testing` (a 3-master / 3-replica cluster, or a master + replica behind three
 * sentinels), with what the tests need around it: the instances' configuration, a way to
 * reach every data node directly (to find or forge values, to pause masters), and its
 * failures.
 */
import {
  type RedisCluster,
  type RedisSentinelSetup,
  startRedisCluster,
  startRedisSentinel,
} from '@tokenguard/testing';
import { createClient } from 'redis';
import type { InstanceConfig } from './start-instance.js';

const plainClient = (url: string) => createClient({ url });
type PlainClient = ReturnType<typeof plainClient>;

export type TopologyKind = 'cluster' | 'sentinel';

export interface Topology {
  readonly kind: TopologyKind;
  readonly cluster?: RedisCluster;
  readonly sentinel?: RedisSentinelSetup;
  /** The instances' `redis` option. */
  readonly redis: NonNullable<InstanceConfig['redis']>;
  /** Runs `fn` with a plain client on every master in turn (the data lives there). */
  eachMaster<T>(fn: (client: PlainClient) => Promise<T>): Promise<T[]>;
  /** Runs `fn` with a plain client on the master that serves `key`. */
  onMasterOf<T>(key: string, fn: (client: PlainClient) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

export async function startTopology(kind: TopologyKind): Promise<Topology> {
  if (kind === 'cluster') {
    const cluster = await startRedisCluster();
    return {
      kind,
      cluster,
      redis: { kind: 'cluster', rootNodes: cluster.rootNodes.map((n) => ({ url: n.url })) },
      async eachMaster(fn) {
        const masters = (await cluster.shards()).map((s) => s.master);
        return Promise.all(masters.map((m) => withClient(m.url, fn)));
      },
      async onMasterOf(key, fn) {
        return withClient((await cluster.shardOf(key)).master.url, fn);
      },
      stop: () => cluster.stop(),
    };
  }
  const sentinel = await startRedisSentinel();
  return {
    kind,
    sentinel,
    redis: {
      kind: 'sentinel',
      name: sentinel.name,
      sentinelRootNodes: sentinel.sentinelRootNodes.map((n) => ({ host: n.host, port: n.port })),
    },
    async eachMaster(fn) {
      return [await withClient((await sentinel.master()).url, fn)];
    },
    async onMasterOf(_key, fn) {
      return withClient((await sentinel.master()).url, fn);
    },
    stop: () => sentinel.stop(),
  };
}

async function withClient<T>(url: string, fn: (client: PlainClient) => Promise<T>): Promise<T> {
  const client = plainClient(url);
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    client.destroy();
  }
}
