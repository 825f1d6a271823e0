import { createServer } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE } from '@tokenguard/core';
import {
  requireAnyScope,
  requireBrand,
  requireClaims,
  requireScopes,
  sharedSignalsReceiver,
  type TokenGuard,
  tokenGuard,
} from '@tokenguard/express';
import type express from 'express';
import type { ErrorRequestHandler, RequestHandler } from 'express';
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

/** The harness for one Express major (`express` 5 or the `express4` alias). */
export function expressHarness(name: string, createExpress: typeof express): AdapterHarness {
  return {
    name,
    async createApp(spec) {
      const app = createExpress();
      app.use(createExpress.urlencoded({ extended: false }));
      app.use(createExpress.json());
      let guard: TokenGuard | undefined;
      if (!spec.withoutGuard) {
        const middleware = tokenGuard({ ...spec.guardOptions, ...spec.adapterOptions });
        guard = middleware.guard;
        if (spec.ops !== undefined) {
          // Operations routes come before the guard: probes and transmitters carry no token.
          const opsGuard = middleware.guard;
          app.get('/ops/ready', async (req, res) => {
            const health = await opsGuard.health({ probe: req.query.probe === '1' });
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
        app.use(middleware);
      }
      const answer: RequestHandler = (req, res) => {
        res.json(describeAuth(req.auth));
      };
      app.get('/protected', answer);
      app.get('/scopes/all', requireScopes(...SCOPES_ALL), answer);
      app.get('/scopes/any', requireAnyScope(...SCOPES_ANY), answer);
      app.get('/brand/static', requireBrand(BRAND_STATIC), answer);
      app.get('/brand/list', requireBrand(BRAND_LIST), answer);
      app.get('/brand/by-path/:brand', requireBrand(brandFromPath), answer);
      app.get('/brand/by-host', requireBrand(brandFromHost), answer);
      app.get('/claims', requireClaims(subjectIsAlice), answer);
      app.get('/claims/throws', requireClaims(throwingPredicate), answer);
      app.post('/form', answer);
      const onError: ErrorRequestHandler = (error, _req, res, _next) => {
        res.status(PASS_ERRORS_STATUS).json(frameworkView(error));
      };
      app.use(onError);

      const server = await listen(createServer(app));
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
