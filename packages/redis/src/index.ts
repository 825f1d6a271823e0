/**
 * @tokenguard/redis: the shared cache tier on Redis (node-redis v6). Named re-exports only.
 */
export {
  createRedisStore,
  type RedisClientLike,
  type RedisLockOptions,
  type RedisStore,
  type RedisStoreMetrics,
  type RedisStoreOptions,
  type RedisSubscriberLike,
} from './create-redis-store.js';
