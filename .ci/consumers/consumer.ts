// A TypeScript consumer, compiled with `module: nodenext`: the same file is built as CommonJS
// (package.json without "type") and as an ES module ("type": "module").
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  type AuthContext,
  createGuard,
  type GuardOptions,
  TokenGuardError,
} from '@tokenguard/core';
import { requireScopes, tokenGuard } from '@tokenguard/express';
import * as fastifyAdapter from '@tokenguard/fastify';
import * as honoAdapter from '@tokenguard/hono';
import * as koaAdapter from '@tokenguard/koa';
import { createRedisStore } from '@tokenguard/redis';
import { createIdentityServer, type IdentityServer, startRedisServer } from '@tokenguard/testing';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import Koa from 'koa';
import { createClient } from 'redis';
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Auth, RequireScopes, TokenGuardModule } from '@tokenguard/nestjs';

// Custom claims, typed by augmenting TokenClaims.
declare module '@tokenguard/core' {
  interface TokenClaims {
    readonly tenant_id?: string;
  }
}

interface ServerSummary {
  issuer: string;
  audience: string;
  callerToken: string;
  tokens: { opaque: string; jwt: string; expiredJwt: string };
}

const server = JSON.parse(process.env.TOKENGUARD_TESTING ?? '') as ServerSummary;
const options: GuardOptions = {
  issuer: server.issuer,
  jwt: { audience: server.audience },
  introspection: { clientAuth: { method: 'bearer', token: server.callerToken } },
  allowInsecureHttp: true,
};

function describeAuth(auth: AuthContext | undefined) {
  const tenant: string | undefined = auth?.claims.tenant_id;
  return { sub: auth?.claims.sub, strategy: auth?.strategy, tenant: tenant ?? null };
}

// NestJS with decorators (experimentalDecorators and emitDecoratorMetadata, as Nest apps build).
@Controller('orders')
class NestOrders {
  @Get()
  @RequireScopes('read')
  list(@Auth() auth: AuthContext) {
    return describeAuth(auth);
  }
}

@Module({ imports: [TokenGuardModule.forRoot(options)], controllers: [NestOrders] })
class NestApp {}

async function call(url: string, token?: string): Promise<string> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return `${res.status} ${await res.text()}`;
}

async function check(name: string, url: string): Promise<void> {
  console.log(`${name}: sample JWT    → ${await call(url, server.tokens.jwt)}`);
  console.log(`${name}: opaque token  → ${await call(url, server.tokens.opaque)}`);
  console.log(`${name}: expired JWT   → ${await call(url, server.tokens.expiredJwt)}`);
  console.log(`${name}: no token      → ${await call(url)}`);
}

function listen(app: {
  listen(port: number, host: string, cb: () => void): import('node:http').Server;
}) {
  return new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
}

function portOf(s: import('node:http').Server): number {
  return (s.address() as AddressInfo).port;
}

async function main(): Promise<void> {
  const app = express();
  const guard = tokenGuard(options);
  app.use(guard);
  app.get('/orders', requireScopes('read'), (req, res) => {
    res.json(describeAuth(req.auth));
  });
  const expressServer = await listen(app);
  await check('express', `http://127.0.0.1:${portOf(expressServer)}/orders`);
  expressServer.close();
  await guard.guard.close();

  const koa = new Koa();
  const koaGuard = koaAdapter.tokenGuard(options);
  koa.use(koaGuard);
  koa.use(koaAdapter.requireScopes('read'));
  koa.use((ctx) => {
    ctx.body = describeAuth(ctx.state.auth);
  });
  const koaServer = await listen(koa);
  await check('koa', `http://127.0.0.1:${portOf(koaServer)}/orders`);
  koaServer.close();
  await koaGuard.guard.close();

  const fastify = Fastify();
  await fastify.register(fastifyAdapter.tokenGuard, options);
  fastify.get('/orders', { config: { tokenguard: { scopes: ['read'] } } }, async (request) =>
    describeAuth(request.auth),
  );
  const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
  await check('fastify', `${address}/orders`);
  await fastify.close();

  const hono = new Hono();
  const honoGuard = honoAdapter.tokenGuard(options);
  hono.use(honoGuard);
  hono.get('/orders', honoAdapter.requireScopes('read'), (c) =>
    c.json(describeAuth(c.get('auth'))),
  );
  const honoServer = await new Promise<import('node:http').Server>((resolve) => {
    const s = serve({ fetch: hono.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s as import('node:http').Server),
    );
  });
  await check('hono', `http://127.0.0.1:${portOf(honoServer)}/orders`);
  honoServer.close();
  await honoGuard.guard.close();

  const nest = await NestFactory.create(NestApp, { logger: false });
  await nest.listen(0, '127.0.0.1');
  await check(
    'nest',
    `http://127.0.0.1:${(nest.getHttpServer().address() as AddressInfo).port}/orders`,
  );
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
  const idp: IdentityServer = await createIdentityServer();
  const core = createGuard({
    issuer: idp.issuer,
    jwt: { audience: 'api' },
    allowInsecureHttp: true,
  });
  const auth = await core.verify(await idp.mintJwt({ sub: 'in-process', tenant_id: 'acme-eu' }));
  const refusal: unknown = await core.verify('not-a-jwt').catch((error: unknown) => error);
  const isGuardError = refusal instanceof TokenGuardError;
  console.log(
    `core: verify → sub ${auth.claims.sub}, tenant ${auth.claims.tenant_id}; refusal is a TokenGuardError: ${isGuardError} (${isGuardError ? `${refusal.status} ${refusal.code}` : String(refusal)})`,
  );
  await core.close();
  await idp.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
