/**
 * The store takes node-redis v6's plain, cluster and sentinel clients as they are typed,
 * RESP3 default included: no casts for the application.
 */
import { createClient, createCluster, createSentinel } from 'redis';
import { expectTypeOf, test } from 'vitest';
import { createRedisStore, type RedisClientLike } from '../src/index.js';

test('a plain client, a cluster and a sentinel client are accepted', () => {
  const client = createClient({ url: 'redis://127.0.0.1:6379' });
  const cluster = createCluster({ rootNodes: [{ url: 'redis://127.0.0.1:7000' }] });
  const sentinel = createSentinel({
    name: 'primary',
    sentinelRootNodes: [{ host: '127.0.0.1', port: 26379 }],
  });
  expectTypeOf(client).toExtend<RedisClientLike>();
  expectTypeOf(cluster).toExtend<RedisClientLike>();
  expectTypeOf(sentinel).toExtend<RedisClientLike>();
  expectTypeOf(createRedisStore).parameter(0).toHaveProperty('hmacKey');
});
