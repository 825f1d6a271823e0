import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import koaCors from '@koa/cors';
import Router from '@koa/router';
import { PROMETHEUS_CONTENT_TYPE } from '@tokenguard/core';
import {
  requireAnyScope,
  requireAuthContext,
  requireBrand,
  requireClaims,
  requireDpop,
  requireScopes,
  resourceMetadataHandler,
  sharedSignalsReceiver,
  type TokenGuardMiddleware,
  tokenGuard,
} from '@tokenguard/koa';
import type Koa from 'koa';
import {
  ADMIN_SCOPE,
  type AdapterHarness,
  BRAND_LIST,
  BRAND_STATIC,
  brandFromHost,
  brandFromPath,
  CORS_ORIGIN,
  describeAuth,
  detailedFrameworkView,
  frameworkView,
  PASS_ERRORS_STATUS,
  SCOPES_ALL,
  SCOPES_ANY,
  STEP_UP_ACR,
  STEP_UP_RECENT,
  subjectIsAlice,
  throwingPredicate,
  tlsServerOptions,
  whereView,
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
    requestLogs: true,
    async createApp(spec) {
      const app = new KoaApp();
      app.silent = true;
      // Upstream error handling: with `passErrors`, refusals are rethrown to here.
      app.use(async (ctx, next) => {
        try {
          await next();
        } catch (error) {
          ctx.status = PASS_ERRORS_STATUS;
          ctx.body = spec.detailedErrors ? detailedFrameworkView(error) : frameworkView(error);
        }
      });
      if (spec.requestLog !== undefined) {
        const log = spec.requestLog;
        app.use((ctx, next) => {
          (ctx as Koa.Context & { log?: unknown }).log = log;
          return next();
        });
      }
      // CORS first: it answers the preflights it allows before the guard sees them.
      if (spec.cors) app.use(koaCors({ origin: CORS_ORIGIN }));
      app.use(parseBody);
      const property = spec.adapterOptions?.requestProperty ?? 'auth';
      const authOf = (ctx: Koa.Context) => (ctx.state as Record<string, never>)[property];
      const answer: Koa.Middleware = (ctx) => {
        ctx.body = describeAuth(authOf(ctx));
      };
      let middleware: TokenGuardMiddleware | undefined;
      if (!spec.withoutGuard) {
        const adapterOptions = spec.adapterOptions as Parameters<typeof tokenGuard>[1];
        middleware =
          spec.guard === undefined
            ? tokenGuard({ ...spec.guardOptions, ...adapterOptions })
            : tokenGuard(spec.guard, adapterOptions);
        if (spec.awaitReady) await middleware.ready();
        // Mounted before the global guard, so only the optional one sees its route.
        const open = new Router();
        open.get('/optional', middleware.optional, answer);
        open.get('/optional/scopes', middleware.optional, requireScopes(ADMIN_SCOPE), answer);
        app.use(open.routes());
        if (spec.ops !== undefined) {
          // Operations routes come before the guard: probes and transmitters carry no token.
          const opsGuard = middleware.guard;
          const ops = new Router({ prefix: '/ops' });
          ops.get('/ready', async (ctx) => {
            const health = await opsGuard.health({
              probe: ctx.query.probe === '1',
              summary: ctx.query.summary === '1',
            });
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
        if (spec.routeMounted === undefined) app.use(middleware);
        else {
          if (spec.routeMounted.metadataHandler) app.use(resourceMetadataHandler(middleware));
          const api = new Router();
          api.get('/api/protected', middleware, answer);
          app.use(api.routes());
        }
      }
      const router = new Router();
      router.get('/protected', answer);
      router.get('/where', (ctx) => {
        ctx.body = whereView(authOf(ctx), ctx.state.auth);
      });
      router.get('/scopes/all', requireScopes(...SCOPES_ALL), answer);
      router.get('/scopes/any', requireAnyScope(...SCOPES_ANY), answer);
      router.get('/brand/static', requireBrand(BRAND_STATIC), answer);
      router.get('/brand/list', requireBrand(BRAND_LIST), answer);
      router.get('/brand/by-path/:brand', requireBrand(brandFromPath), answer);
      router.get('/brand/by-host', requireBrand(brandFromHost), answer);
      router.get('/claims', requireClaims(subjectIsAlice), answer);
      router.get('/claims/throws', requireClaims(throwingPredicate), answer);
      router.post('/form', answer);
      router.get('/step-up/acr', requireAuthContext(STEP_UP_ACR), answer);
      router.get('/step-up/recent', requireAuthContext(STEP_UP_RECENT), answer);
      router.options('/protected', (ctx) => {
        ctx.status = 204;
      });
      router.get('/dpop/required', requireDpop(), answer);
      router.get('/dpop/disabled', requireDpop('disabled'), answer);
      router.all('/any', answer);
      router.all('/any/scopes', requireScopes(ADMIN_SCOPE), answer);
      router.all('/any/any-scope', requireAnyScope(ADMIN_SCOPE), answer);
      router.all('/any/brand', requireBrand(BRAND_STATIC), answer);
      router.all('/any/claims', requireClaims(subjectIsAlice), answer);
      router.all('/any/step-up', requireAuthContext(STEP_UP_ACR), answer);
      router.all('/any/dpop', requireDpop(), answer);
      app.use(router.routes());

      const server = await listen(
        spec.tls
          ? createTlsServer(tlsServerOptions(spec.tls), app.callback())
          : createServer(app.callback()),
      );
      return {
        url: server.url,
        guard: middleware?.guard,
        async close() {
          await server.close();
          // Koa has no close hook: the app closes what the adapter built.
          await middleware?.close();
        },
      };
    },
  };
}
