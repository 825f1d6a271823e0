import { createServer } from 'node:http';
import Router from '@koa/router';
import { PROMETHEUS_CONTENT_TYPE } from '@tokenguard/core';
import {
  requireAnyScope,
  requireBrand,
  requireClaims,
  requireScopes,
  sharedSignalsReceiver,
  type TokenGuard,
  tokenGuard,
} from '@tokenguard/koa';
import type Koa from 'koa';
import {
  type AdapterHarness,
  BRAND_LIST,
  BRAND_STATIC,
  brandFromHost,
  brandFromPath,
  describeAuth,
  frameworkView,
  PASS_ERRORS_STATUS,
  SCOPES_ALL,
  SCOPES_ANY,
  subjectIsAlice,
  throwingPredicate,
} from '../harness.js';
import { listen } from './listen.js';

/**
 * A stand-in for a body parser: JSON becomes an object, a form stays the raw urlencoded
 * string (the core parses strings), as `ctx.request.body`.
 */
const parseBody: Koa.Middleware = async (ctx, next) => {
  if (ctx.method === 'POST') {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    (ctx.request as { body?: unknown }).body = ctx.is('application/json') ? JSON.parse(text) : text;
  }
  await next();
};

/** The harness for one Koa major (`koa` 3 or the `koa2` alias). */
export function koaHarness(name: string, KoaApp: typeof Koa): AdapterHarness {
  return {
    name,
    async createApp(spec) {
      const app = new KoaApp();
      app.silent = true;
      // Upstream error handling: with `passErrors`, refusals are rethrown to here.
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          ctx.status = PASS_ERRORS_STATUS;
          ctx.body = frameworkView(error);
        }
      });
      app.use(parseBody);
      let guard: TokenGuard | undefined;
      if (!spec.withoutGuard) {
        const middleware = tokenGuard({ ...spec.guardOptions, ...spec.adapterOptions });
        guard = middleware.guard;
        if (spec.ops !== undefined) {
          // Operations routes come before the guard: probes and transmitters carry no token.
          const opsGuard = middleware.guard;
          const ops = new Router({ prefix: '/ops' });
          ops.get('/ready', async (ctx) => {
            const health = await opsGuard.health({ probe: ctx.query.probe === '1' });
            ctx.status = health.ready ? 200 : 503;
            ctx.body = health;
          });
          ops.get('/metrics', (ctx) => {
            ctx.type = PROMETHEUS_CONTENT_TYPE;
            ctx.body = opsGuard.metricsText();
          });
          if (spec.ops.sharedSignals !== undefined) {
            ops.post(
              '/ssf',
              sharedSignalsReceiver({ guard: middleware, ...spec.ops.sharedSignals }),
            );
          }
          app.use(ops.routes());
        }
        app.use(middleware);
      }
      const answer: Koa.Middleware = (ctx) => {
        ctx.body = describeAuth(ctx.state.auth);
      };
      const router = new Router();
      router.get('/protected', answer);
      router.get('/scopes/all', requireScopes(...SCOPES_ALL), answer);
      router.get('/scopes/any', requireAnyScope(...SCOPES_ANY), answer);
      router.get('/brand/static', requireBrand(BRAND_STATIC), answer);
      router.get('/brand/list', requireBrand(BRAND_LIST), answer);
      router.get('/brand/by-path/:brand', requireBrand(brandFromPath), answer);
      router.get('/brand/by-host', requireBrand(brandFromHost), answer);
      router.get('/claims', requireClaims(subjectIsAlice), answer);
      router.get('/claims/throws', requireClaims(throwingPredicate), answer);
      router.post('/form', answer);
      app.use(router.routes());

      const server = await listen(createServer(app.callback()));
      return {
        url: server.url,
        guard,
        async close() {
          await server.close();
          await guard?.close();
        },
      };
    },
  };
}
