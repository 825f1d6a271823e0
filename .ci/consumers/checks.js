// The checks both JavaScript consumers run, after their own imports (cjs-imports.js or
// esm-imports.js): every adapter answers a JWT, an opaque token, an expired JWT and no token.
const server = JSON.parse(process.env.TOKENGUARD_TESTING);
const options = {
  issuer: server.issuer,
  jwt: { audience: server.audience },
  introspection: { clientAuth: { method: 'bearer', token: server.callerToken } },
  allowInsecureHttp: true,
};

async function call(url, token) {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return `${res.status} ${await res.text()}`;
}

async function check(name, url) {
  console.log(`${name}: sample JWT    → ${await call(url, server.tokens.jwt)}`);
  console.log(`${name}: opaque token  → ${await call(url, server.tokens.opaque)}`);
  console.log(`${name}: expired JWT   → ${await call(url, server.tokens.expiredJwt)}`);
  console.log(`${name}: no token      → ${await call(url)}`);
}

function describe(auth) {
  return { sub: auth.claims.sub, strategy: auth.strategy };
}

function listen(server) {
  return new Promise((resolve) => {
    const s = server.listen(0, '127.0.0.1', () => resolve(s));
  });
}

async function main() {
  const app = express();
  const guard = tokenGuard(options);
  app.use(guard);
  app.get('/orders', requireScopes('read'), (req, res) => {
    res.json({ sub: req.auth.claims.sub, strategy: req.auth.strategy });
  });
  const expressServer = await listen(app);
  await check('express', `http://127.0.0.1:${expressServer.address().port}/orders`);
  expressServer.close();
  await guard.guard.close();

  const koa = new Koa();
  const koaGuard = koaAdapter.tokenGuard(options);
  koa.use(koaGuard);
  koa.use(koaAdapter.requireScopes('read'));
  koa.use((ctx) => {
    ctx.body = { sub: ctx.state.auth.claims.sub, strategy: ctx.state.auth.strategy };
  });
  const koaServer = await listen(koa);
  await check('koa', `http://127.0.0.1:${koaServer.address().port}/orders`);
  koaServer.close();
  await koaGuard.guard.close();

  const fastify = Fastify();
  await fastify.register(fastifyAdapter.tokenGuard, options);
  fastify.get('/orders', { config: { tokenguard: { scopes: ['read'] } } }, async (request) => ({
    sub: request.auth.claims.sub,
    strategy: request.auth.strategy,
  }));
  const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
  await check('fastify', `${address}/orders`);
  await fastify.close();

  const hono = new Hono();
  const honoGuard = honoAdapter.tokenGuard(options);
  hono.use(honoGuard);
  hono.get('/orders', honoAdapter.requireScopes('read'), (c) => c.json(describe(c.get('auth'))));
  const honoServer = await new Promise((resolve) => {
    const s = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  await check('hono', `http://127.0.0.1:${honoServer.address().port}/orders`);
  honoServer.close();
  await honoGuard.guard.close();

  // NestJS without decorator syntax: the decorators applied as functions.
  class Orders {
    list(auth) {
      return describe(auth);
    }
  }
  const list = Object.getOwnPropertyDescriptor(Orders.prototype, 'list');
  Reflect.decorate([Get(), nestAdapter.RequireScopes('read')], Orders.prototype, 'list', list);
  nestAdapter.Auth()(Orders.prototype, 'list', 0);
  Reflect.decorate([Controller('orders')], Orders);
  class NestApp {}
  Reflect.decorate(
    [Module({ imports: [nestAdapter.TokenGuardModule.forRoot(options)], controllers: [Orders] })],
    NestApp,
  );
  const nest = await NestFactory.create(NestApp, { logger: false });
  await nest.listen(0, '127.0.0.1');
  await check('nest', `http://127.0.0.1:${nest.getHttpServer().address().port}/orders`);
  await nest.close();

  // Two guards (two instances of an API) on one Redis: the second is answered from the
  // shared tier, without an identity-service call of its own.
  const redisServer = await startRedisServer();
  const client = await createClient({ url: redisServer.url }).connect();
  const hmacKey = 'consumer-check-hmac-key-of-32-bytes-or-more';
  const instances = [0, 1].map(() =>
    createGuard({ ...options, cache: { store: createRedisStore({ client, hmacKey }) } }),
  );
  for (const instance of instances) await instance.verify(server.tokens.opaque);
  const calls = instances.map((instance) => instance.metrics().upstreamCalls);
  console.log(`redis: two guards, one opaque token → upstream calls ${calls.join(' + ')}`);
  for (const instance of instances) await instance.close();
  await client.quit();
  await redisServer.stop();

  // The core and the testing package on their own: an in-process identity server.
  const idp = await createIdentityServer();
  const core = createGuard({
    issuer: idp.issuer,
    jwt: { audience: 'api' },
    allowInsecureHttp: true,
  });
  const auth = await core.verify(await idp.mintJwt({ sub: 'in-process' }));
  const refusal = await core.verify('not-a-jwt').catch((error) => error);
  console.log(
    `core: verify → sub ${auth.claims.sub}; refusal is a TokenGuardError: ${refusal instanceof TokenGuardError} (${refusal.status} ${refusal.code})`,
  );
  await core.close();
  await idp.close();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
