// @ts-check
/**
 * One Express instance for bench/many-instances.js, in its own process: tokenguard with an
 * in-process cache, or with the shared Redis tier (optionally with the cross-instance lock).
 * Configuration: JSON in argv[2]. Prints nothing; answers `{ ready, port }` over IPC, then
 * `metrics` requests.
 */
import { createServer } from 'node:http';
import { tokenGuard } from '@tokenguard/express';
import { createRedisStore } from '@tokenguard/redis';
import express from 'express';
import { createClient, createCluster } from 'redis';

const config = JSON.parse(process.argv[2] ?? '{}');

/** @type {{ destroy(): unknown } | undefined} */
let client;
/** @type {import('@tokenguard/redis').RedisStore | undefined} */
let store;
if (config.redisUrl || config.clusterRootNodes) {
  // One server, or a Redis Cluster (`clusterRootNodes`: [{ url }]).
  const connected = config.clusterRootNodes
    ? createCluster({ rootNodes: config.clusterRootNodes })
    : createClient({ url: config.redisUrl });
  connected.on('error', () => {});
  await connected.connect();
  client = connected;
  store = createRedisStore({
    client: connected,
    hmacKey: config.hmacKey,
    lock: config.lock ?? false,
  });
}

const middleware = tokenGuard({
  allowInsecureHttp: true,
  logger: { warn: () => {}, error: () => {} },
  introspection: {
    endpoint: config.introspectionEndpoint,
    clientAuth: { method: 'bearer', token: config.callerToken },
  },
  cache: { ...(store ? { store } : {}), maxTtlMs: 3_600_000, ...(config.cache ?? {}) },
});
const app = express();
app.use(middleware);
app.get('/', (req, res) => {
  res.json({ sub: req.auth?.claims.sub });
});
await middleware.guard.ready();
const server = createServer(app);

process.on('message', (/** @type {{ id: number, op: string }} */ message) => {
  if (message.op === 'metrics')
    process.send?.({ id: message.id, value: middleware.guard.metrics() });
});
process.on('disconnect', async () => {
  server.close();
  await middleware.guard.close();
  await store?.close();
  client?.destroy();
  process.exit(0);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ ready: true, port: typeof address === 'object' && address ? address.port : 0 });
});
