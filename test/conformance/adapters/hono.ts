import type { Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createAdaptorServer } from '@hono/node-server';
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
} from '@tokenguard/hono';
import { type Context, Hono } from 'hono';
import { cors } from 'hono/cors';
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
import type { serveFetch } from './serve-fetch.js';

/**
 * The harness for Hono on Node (`@hono/node-server`), or with `serve`, on the runtime's own
 * server (the adapter's Fetch path). Hono has no request-logger convention.
 */
export function honoHarness(
  name = 'hono 4',
  native?: { readonly serve: typeof serveFetch; readonly cannot: AdapterHarness['cannot'] },
): AdapterHarness {
  return {
    name,
    requestLogs: false,
    cannot: native?.cannot,
    async createApp(spec) {
      const app = new Hono();
      // CORS first: it answers the preflights it allows before the guard sees them.
      if (spec.cors) app.use(cors({ origin: CORS_ORIGIN }));
      app.onError((error, c) =>
        c.json(
          spec.detailedErrors ? detailedFrameworkView(error) : frameworkView(error),
          PASS_ERRORS_STATUS,
        ),
      );
      const property = (spec.adapterOptions?.requestProperty ?? 'auth') as 'auth';
      const answer = (c: Context) => c.json(describeAuth(c.get(property)));
      let middleware: TokenGuardMiddleware | undefined;
      if (!spec.withoutGuard) {
        const adapterOptions = spec.adapterOptions as Parameters<typeof tokenGuard>[1];
        middleware =
          spec.guard === undefined
            ? tokenGuard({ ...spec.guardOptions, ...adapterOptions })
            : tokenGuard(spec.guard, adapterOptions);
        if (spec.awaitReady) await middleware.ready();
        // Declared before the global guard, so only the optional one sees it.
        app.get('/optional', middleware.optional, answer);
        app.get('/optional/scopes', middleware.optional, requireScopes(ADMIN_SCOPE), answer);
        if (spec.ops !== undefined) {
          // Operations routes come before the guard: probes and transmitters carry no token.
          const opsGuard = middleware.guard;
          app.get('/ops/ready', async (c) => {
            const health = await opsGuard.health({
              probe: c.req.query('probe') === '1',
              summary: c.req.query('summary') === '1',
            });
            return c.json(health, health.ready ? 200 : 503);
          });
          app.get('/ops/metrics', (c) =>
            c.body(opsGuard.metricsText(), 200, { 'content-type': PROMETHEUS_CONTENT_TYPE }),
          );
          if (spec.ops.sharedSignals !== undefined) {
            app.post(
              '/ops/ssf',
              sharedSignalsReceiver({ guard: middleware, ...spec.ops.sharedSignals }),
            );
          }
        }
        if (spec.routeMounted === undefined) app.use(middleware);
        else {
          if (spec.routeMounted.metadataHandler) app.use(resourceMetadataHandler(middleware));
          app.get('/api/protected', middleware, answer);
        }
      }
      app.get('/protected', answer);
      app.get('/where', (c) => c.json(whereView(c.get(property), c.get('auth'))));
      app.get('/scopes/all', requireScopes(...SCOPES_ALL), answer);
      app.get('/scopes/any', requireAnyScope(...SCOPES_ANY), answer);
      app.get('/brand/static', requireBrand(BRAND_STATIC), answer);
      app.get('/brand/list', requireBrand(BRAND_LIST), answer);
      app.get('/brand/by-path/:brand', requireBrand(brandFromPath), answer);
      app.get('/brand/by-host', requireBrand(brandFromHost), answer);
      app.get('/claims', requireClaims(subjectIsAlice), answer);
      app.get('/claims/throws', requireClaims(throwingPredicate), answer);
      app.post('/form', answer);
      app.get('/step-up/acr', requireAuthContext(STEP_UP_ACR), answer);
      app.get('/step-up/recent', requireAuthContext(STEP_UP_RECENT), answer);
      // The app's own CORS answer, reached only if the guard let the preflight through.
      app.options('/protected', (c) => c.body(null, 204));
      app.get('/dpop/required', requireDpop(), answer);
      app.get('/dpop/disabled', requireDpop('disabled'), answer);
      app.all('/any', answer);
      app.all('/any/scopes', requireScopes(ADMIN_SCOPE), answer);
      app.all('/any/any-scope', requireAnyScope(ADMIN_SCOPE), answer);
      app.all('/any/brand', requireBrand(BRAND_STATIC), answer);
      app.all('/any/claims', requireClaims(subjectIsAlice), answer);
      app.all('/any/step-up', requireAuthContext(STEP_UP_ACR), answer);
      app.all('/any/dpop', requireDpop(), answer);

      if (native && spec.tls) throw new Error(`${name} serves no TLS client certificates`);
      // Over TLS the adapter reads the client certificate from `c.env.incoming.socket`.
      const server = native
        ? await native.serve(app.fetch)
        : await listen(
            createAdaptorServer(
              spec.tls
                ? {
                    fetch: app.fetch,
                    createServer: createTlsServer,
                    serverOptions: tlsServerOptions(spec.tls),
                  }
                : { fetch: app.fetch },
            ) as Server,
          );
      return {
        url: server.url,
        guard: middleware?.guard,
        async close() {
          await server.close();
          await middleware?.close();
        },
      };
    },
  };
}
