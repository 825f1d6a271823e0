// A consumer on Bun or Deno: every package from the packed tarballs, Express, Koa and Fastify
// through the runtime's Node compatibility, Hono on the runtime's own server (Bun.serve or
// Deno.serve), the Redis tier on a real redis-server, the identity server in-process. On Deno
// the imports are spelled as `npm:` specifiers (runtime-consumers.js rewrites them).
import { createGuard, TokenGuardError } from '@tokenguard/core';
import { requireScopes, tokenGuard } from '@tokenguard/express';
import * as fastifyAdapter from '@tokenguard/fastify';
import * as honoAdapter from '@tokenguard/hono';
import * as koaAdapter from '@tokenguard/koa';
import { createRedisStore } from '@tokenguard/redis';
import { createIdentityServer, startRedisServer } from '@tokenguard/testing';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { createClient } from 'redis';

const idp = await createIdentityServer();
const options = {
  issuer: idp.issuer,
  jwt: { audience: 'api' },
  introspection: { clientAuth: { method: 'bearer', token: idp.callerToken } },
  allowInsecureHttp: true,
};
const tokens = {
  jwt: await idp.mintJwt({ sub: 'jwt-user', scope: 'read' }),
  opaque: idp.mintToken({ sub: 'opaque-user', scope: 'read' }),
  expiredJwt: await idp.mintJwt({ exp: Math.floor(Date.now() / 1000) - 3600, scope: 'read' }),
};

async function call(url, token) {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return `${res.status} ${await res.text()}`;
}

async function check(name, url) {
  console.log(`${name}: sample JWT    → ${await call(url, tokens.jwt)}`);
  console.log(`${name}: opaque token  → ${await call(url, tokens.opaque)}`);
  console.log(`${name}: expired JWT   → ${await call(url, tokens.expiredJwt)}`);
  console.log(`${name}: no token      → ${await call(url)}`);
}

function listen(server) {
  return new Promise((resolve) => {
    const s = server.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/** The runtime's own server for a Fetch handler; resolves its URL and a stop function. */
function serveNatively(fetchHandler) {
  if (globalThis.Bun) {
    const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: fetchHandler });
    return {
      name: 'Bun.serve',
      url: `http://127.0.0.1:${server.port}`,
      stop: () => server.stop(true),
    };
  }
  const server = Deno.serve({ port: 0, hostname: '127.0.0.1', onListen() {} }, fetchHandler);
  return {
    name: 'Deno.serve',
    url: `http://127.0.0.1:${server.addr.port}`,
    stop: () => server.shutdown(),
  };
}

const app = express();
const guard = tokenGuard(options);
app.use(guard);
app.get('/orders', requireScopes('read'), (req, res) => res.json({ sub: req.auth.claims.sub }));
const expressServer = await listen(app);
await check('express', `http://127.0.0.1:${expressServer.address().port}/orders`);
expressServer.close();
await guard.guard.close();

const koa = new Koa();
const koaGuard = koaAdapter.tokenGuard(options);
koa.use(koaGuard);
koa.use(koaAdapter.requireScopes('read'));
koa.use((ctx) => {
  ctx.body = { sub: ctx.state.auth.claims.sub };
});
const koaServer = await listen(koa);
await check('koa', `http://127.0.0.1:${koaServer.address().port}/orders`);
koaServer.close();
await koaGuard.guard.close();

const fastify = Fastify();
await fastify.register(fastifyAdapter.tokenGuard, options);
fastify.get('/orders', { config: { tokenguard: { scopes: ['read'] } } }, async (request) => ({
  sub: request.auth.claims.sub,
}));
const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
await check('fastify', `${address}/orders`);
await fastify.close();

const hono = new Hono();
const honoGuard = honoAdapter.tokenGuard(options);
hono.use(honoGuard);
hono.get('/orders', honoAdapter.requireScopes('read'), (c) =>
  c.json({ sub: c.get('auth').claims.sub }),
);
const native = serveNatively(hono.fetch);
await check(`hono on ${native.name}`, `${native.url}/orders`);
await native.stop();
await honoGuard.guard.close();

// Two guards (two instances of an API) on one Redis: the second is answered from the shared
// tier, without an identity-service call of its own.
const redisServer = await startRedisServer();
const client = await createClient({ url: redisServer.url }).connect();
const hmacKey = 'consumer-check-hmac-key-of-32-bytes-or-more';
const instances = [0, 1].map(() =>
  createGuard({ ...options, cache: { store: createRedisStore({ client, hmacKey }) } }),
);
for (const instance of instances) await instance.verify(tokens.opaque);
const calls = instances.map((instance) => instance.metrics().upstreamCalls);
console.log(`redis: two guards, one opaque token → upstream calls ${calls.join(' + ')}`);
for (const instance of instances) await instance.close();
await client.quit();
await redisServer.stop();

const core = createGuard(options);
const auth = await core.verify(tokens.jwt);
const refusal = await core.verify('not-a-jwt').catch((error) => error);
console.log(
  `core: verify → sub ${auth.claims.sub}; refusal is a TokenGuardError: ${refusal instanceof TokenGuardError} (${refusal.status} ${refusal.code})`,
);
await core.close();
await idp.close();
