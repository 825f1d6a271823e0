/**
 * The two replicated topologies the store is tested on, each started for real by
 * `@tokenguard/testing`: a 3-master / 3-replica Redis Cluster and a master + replica behind
 * three sentinels. A test asks a topology for connected node-redis clients (each its own
 * connections, as separate app instances would have) and closes them all at the end.
 */
import {
  type RedisCluster,
  type RedisSentinelSetup,
  startRedisCluster,
  startRedisSentinel,
} from '@tokenguard/testing';
import { createCluster, createSentinel } from 'redis';
import type { RedisClientLike } from '../../src/index.js';

/** Reconnect at once and quickly after a failover; never give up. */
const reconnectStrategy = (retries: number) => Math.min(25 * (retries + 1), 200);

export function clusterClient(cluster: RedisCluster) {
  return createCluster({
    rootNodes: cluster.rootNodes.map((n) => ({ url: n.url })),
    defaults: { socket: { reconnectStrategy, connectTimeout: 1000 } },
  });
}

export function sentinelClient(setup: RedisSentinelSetup) {
  return createSentinel({
    name: setup.name,
    sentinelRootNodes: [...setup.sentinelRootNodes],
    nodeClientOptions: { socket: { reconnectStrategy, connectTimeout: 1000 } },
    sentinelClientOptions: { socket: { reconnectStrategy, connectTimeout: 1000 } },
  });
}

type AnyClient = ReturnType<typeof clusterClient> | ReturnType<typeof sentinelClient>;

export interface Topology {
  readonly kind: 'cluster' | 'sentinel';
  /** A new client, connected; closed by `closeClients()`. */
  connect(): Promise<RedisClientLike & { sendCommand?: unknown }>;
  closeClients(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTopology(kind: 'cluster' | 'sentinel'): Promise<
  Topology & {
    readonly cluster?: RedisCluster;
    readonly sentinel?: RedisSentinelSetup;
  }
> {
  const cluster = kind === 'cluster' ? await startRedisCluster() : undefined;
  const sentinel = kind === 'sentinel' ? await startRedisSentinel() : undefined;
  const clients: AnyClient[] = [];
  return {
    kind,
    ...(cluster ? { cluster } : {}),
    ...(sentinel ? { sentinel } : {}),
    async connect() {
      const client: AnyClient = cluster
        ? clusterClient(cluster)
        : sentinelClient(sentinel as RedisSentinelSetup);
      client.on('error', () => {});
      clients.push(client);
      await client.connect();
      return client as unknown as RedisClientLike;
    },
    async closeClients() {
      await Promise.all(clients.splice(0).map((c) => Promise.resolve(c.destroy())));
    },
    async stop() {
      await Promise.all(clients.splice(0).map((c) => Promise.resolve(c.destroy())));
      await (cluster ?? sentinel)?.stop();
    },
  };
}

/**
 * What `call` answers once it answers something (a throw counts as nothing yet), retried for
 * at most `withinMs`: after a failover each client follows the new topology on its own (a
 * store call fails at once while its client reconnects), and replicas receive writes
 * asynchronously.
 */
export async function eventually<T>(
  call: () => T | Promise<T>,
  withinMs = 10_000,
): Promise<T | undefined> {
  for (const until = Date.now() + withinMs; ; ) {
    const answer = await Promise.resolve()
      .then(call)
      .catch(() => undefined);
    if (answer !== undefined || Date.now() > until) return answer;
    await new Promise((r) => setTimeout(r, 100));
  }
}
