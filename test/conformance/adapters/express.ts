import { createServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
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
} from '@tokenguard/express';
import cors from 'cors';
import type express from 'express';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
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

/** The harness for one Express major (`express` 5 or the `express4` alias). */
export function expressHarness(name: string, createExpress: typeof express): AdapterHarness {
  return {
    name,
    requestLogs: true,
    async createApp(spec) {
      const app = createExpress();
      // CORS first: it answers the preflights it allows before the guard sees them.
      if (spec.cors) app.use(cors({ origin: CORS_ORIGIN }));
      if (spec.requestLog !== undefined) {
        const log = spec.requestLog;
        app.use((req, _res, next) => {
          (req as Request & { log?: unknown }).log = log;
          next();
        });
      }
      app.use(createExpress.urlencoded({ extended: false }));
      app.use(createExpress.json());
      const property = spec.adapterOptions?.requestProperty ?? 'auth';
      const authOf = (req: Request) => (req as unknown as Record<string, never>)[property];
      const answer: RequestHandler = (req, res) => {
        res.json(describeAuth(authOf(req)));
      };
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
          app.get('/ops/ready', async (req, res) => {
            const health = await opsGuard.health({
              probe: req.query.probe === '1',
              summary: req.query.summary === '1',
            });
            res.status(health.ready ? 200 : 503).json(health);
          });
          app.get('/ops/metrics', (_req, res) => {
            res.type(PROMETHEUS_CONTENT_TYPE).send(opsGuard.metricsText());
          });
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
      app.get('/where', (req, res) => {
        res.json(whereView(authOf(req), req.auth));
      });
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
      app.options('/protected', (_req, res) => {
        res.status(204).end();
      });
      app.get('/dpop/required', requireDpop(), answer);
      app.get('/dpop/disabled', requireDpop('disabled'), answer);
      app.all('/any', answer);
      app.all('/any/scopes', requireScopes(ADMIN_SCOPE), answer);
      app.all('/any/any-scope', requireAnyScope(ADMIN_SCOPE), answer);
      app.all('/any/brand', requireBrand(BRAND_STATIC), answer);
      app.all('/any/claims', requireClaims(subjectIsAlice), answer);
      app.all('/any/step-up', requireAuthContext(STEP_UP_ACR), answer);
      app.all('/any/dpop', requireDpop(), answer);
      const onError: ErrorRequestHandler = (error, _req, res, _next) => {
        const view = spec.detailedErrors ? detailedFrameworkView(error) : frameworkView(error);
        res.status(PASS_ERRORS_STATUS).json(view);
      };
      app.use(onError);

      const server = await listen(
        spec.tls ? createTlsServer(tlsServerOptions(spec.tls), app) : createServer(app),
      );
      return {
        url: server.url,
        guard: middleware?.guard,
        async close() {
          await server.close();
          // Express has no close hook: the app closes what the adapter built.
          await middleware?.close();
        },
      };
    },
  };
}
