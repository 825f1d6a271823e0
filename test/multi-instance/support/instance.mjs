// One app instance in its own process, for the many-instances tests: an Express, Koa or
// Fastify app behind tokenguard with the shared Redis tier. Runs on the BUILT packages
// (`pnpm build` first; `pnpm test` does it). Configuration arrives as JSON in argv[2];
// the parent drives it over the IPC channel: { id, op: 'evict' | 'evictSubject' |
// 'metrics' | 'invalidations' | 'ready' | 'stalls', arg } → { id, ok, value | error }.
// Redis is one server (`redisUrl`), a cluster (`redis: { kind: 'cluster', rootNodes }`) or
// a Sentinel setup (`redis: { kind: 'sentinel', name, sentinelRootNodes }`).
import { createServer } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createClient, createCluster, createSentinel } from 'redis';
import { createRedisStore } from '../../../packages/redis/dist/index.js';

const config = JSON.parse(process.argv[2] ?? '{}');

// Reconnect quickly after a restart or a failover; the guard treats the time in between
// as misses (every store call is bounded by `storeTimeoutMs`).
const socket = {
  reconnectStrategy: (retries) => Math.min(50 * (retries + 1), 200),
  connectTimeout: 1000,
};
const client =
  config.redis?.kind === 'cluster'
    ? createCluster({
        rootNodes: config.redis.rootNodes,
        // A command for a master that is down fails at once instead of waiting in the
        // offline queue, and the client asks for the new topology soon after a node drops.
        defaults: { socket, disableOfflineQueue: true },
        topologyRefreshOnReconnectionAttemptStrategy: 250,
      })
    : config.redis?.kind === 'sentinel'
      ? createSentinel({
          name: config.redis.name,
          sentinelRootNodes: config.redis.sentinelRootNodes,
          nodeClientOptions: { socket, disableOfflineQueue: true },
          sentinelClientOptions: { socket },
        })
      : createClient({ url: config.redisUrl, socket });
client.on('error', () => {});
await client.connect();

const store = createRedisStore({
  client,
  hmacKey: config.hmacKey,
  lock: config.lock ?? false,
  logger: { warn: () => {} },
});
/** When this process heard each invalidation (epoch ms), for the 100 ms check. */
const heard = [];
await store.subscribe((message) => heard.push({ at: Date.now(), kind: message.kind }));

const guardOptions = {
  realm: 'test',
  allowInsecureHttp: true,
  logger: { warn: () => {}, error: () => {} },
  introspection: {
    endpoint: config.introspectionEndpoint,
    clientAuth: config.clientAuth,
    http: { timeoutMs: 3000 },
    breakerThreshold: 0,
  },
  cache: { store, storeTimeoutMs: 200, ...(config.cache ?? {}) },
  ...(config.dpop === undefined ? {} : { dpop: config.dpop }),
};
/** The Shared Signals receiver's options, when `config.ssf` is set (mounted at /ssf). */
const ssf = config.ssf === undefined ? undefined : { ...config.ssf, allowInsecureHttp: true };

const describe = (auth) =>
  auth === undefined
    ? { auth: null }
    : { auth: { sub: auth.claims.sub, scope: auth.claims.scope, stale: auth.stale === true } };

const { guard, server } = await { express: startExpress, koa: startKoa, fastify: startFastify }[
  config.framework
]();
await guard.ready();

async function startExpress() {
  const { default: express } = await import('express');
  const { tokenGuard, sharedSignalsReceiver } = await import(
    '../../../packages/express/dist/index.js'
  );
  const app = express();
  const middleware = tokenGuard(guardOptions);
  if (ssf) app.post('/ssf', sharedSignalsReceiver({ guard: middleware, ...ssf }));
  app.use(middleware);
  app.get('/protected', (req, res) => res.json(describe(req.auth)));
  return { guard: middleware.guard, server: createServer(app) };
}

async function startKoa() {
  const { default: Koa } = await import('koa');
  const { default: Router } = await import('@koa/router');
  const { tokenGuard, sharedSignalsReceiver } = await import('../../../packages/koa/dist/index.js');
  const app = new Koa();
  const middleware = tokenGuard(guardOptions);
  const open = new Router();
  if (ssf) open.post('/ssf', sharedSignalsReceiver({ guard: middleware, ...ssf }));
  app.use(open.routes());
  app.use(middleware);
  const router = new Router();
  router.get('/protected', (ctx) => {
    ctx.body = describe(ctx.state.auth);
  });
  app.use(router.routes());
  return { guard: middleware.guard, server: createServer(app.callback()) };
}

async function startFastify() {
  const { default: Fastify } = await import('fastify');
  const { tokenGuard, sharedSignalsReceiver } = await import(
    '../../../packages/fastify/dist/index.js'
  );
  let server;
  const app = Fastify({
    serverFactory: (handler) => {
      server = createServer(handler);
      return server;
    },
  });
  await app.register(tokenGuard, guardOptions);
  if (ssf) {
    await app.register(sharedSignalsReceiver, { path: '/ssf', guard: app.tokenGuard, ...ssf });
  }
  app.get('/protected', async (request) => describe(request.auth));
  await app.ready();
  return { guard: app.tokenGuard, server };
}

const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const operations = {
  evict: (token) => guard.evict(token),
  evictSubject: (sub) => guard.evictSubject(sub),
  metrics: () => guard.metrics(),
  invalidations: () => heard,
  ready: () => client.isReady,
  // The longest time this process could not run (its event loop delayed: CPU starvation on
  // a busy machine) since the last call, in ms: time no cache tier can be blamed for.
  stalls: () => {
    const value = { maxMs: Math.round(loopDelay.max / 1e6) };
    loopDelay.reset();
    return value;
  },
};

process.on('message', async ({ id, op, arg }) => {
  try {
    const value = await operations[op](arg);
    process.send({ id, ok: true, value });
  } catch (error) {
    process.send({ id, ok: false, error: String(error?.message ?? error) });
  }
});

process.on('disconnect', async () => {
  server.close();
  await guard.close();
  await store.close();
  client.destroy();
  process.exit(0);
});

server.listen(0, '127.0.0.1', () => {
  process.send({ ready: true, port: server.address().port });
});
