import fastifyCors from '@fastify/cors';
import { PROMETHEUS_CONTENT_TYPE, type TokenGuard } from '@tokenguard/core';
import {
  requireAnyScope,
  requireAuthContext,
  requireBrand,
  requireClaims,
  requireDpop,
  requireScopes,
  resourceMetadataHandler,
  sharedSignalsReceiver,
  tokenGuard,
} from '@tokenguard/fastify';
import type fastify from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
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

/**
 * The harness for one Fastify major (`fastify` 5 or the `fastify4` alias). Both ways of
 * declaring route requirements are exercised: route `config.tokenguard` (scopes/all,
 * brand/static, brand/by-path, optional) and the preHandler helpers (the others).
 */
export function fastifyHarness(
  name: string,
  createFastify: typeof fastify,
  /** `@fastify/cors` of the same major (9 for Fastify 4), for `AppSpec.cors`. */
  corsPlugin: typeof fastifyCors = fastifyCors,
): AdapterHarness {
  return {
    name,
    requestLogs: true,
    routeRequirementsAtAuthentication: true,
    async createApp(spec) {
      // Typed as the plain-http instance: the routes and hooks are the same over TLS.
      const app: FastifyInstance = spec.tls
        ? (createFastify({ https: tlsServerOptions(spec.tls) }) as unknown as FastifyInstance)
        : createFastify();
      app.setErrorHandler((error, _request, reply) => {
        reply
          .code(PASS_ERRORS_STATUS)
          .send(spec.detailedErrors ? detailedFrameworkView(error) : frameworkView(error));
      });
      if (spec.requestLog !== undefined) {
        const { warn, error } = spec.requestLog;
        const noop = () => undefined;
        // A pino-shaped logger whose warn/error go to the spec's log; added before the plugin.
        const log = {
          info: noop,
          debug: noop,
          trace: noop,
          fatal: noop,
          warn,
          error,
          level: 'info',
        };
        const logger = { ...log, child: () => logger } as unknown as FastifyBaseLogger;
        app.addHook('onRequest', async (request) => {
          (request as { log: FastifyBaseLogger }).log = logger;
        });
      }
      // CORS first: its onRequest hook answers the preflights it allows before the guard's.
      if (spec.cors) app.register(corsPlugin, { origin: CORS_ORIGIN });
      const property = spec.adapterOptions?.requestProperty ?? 'auth';
      const authOf = (request: FastifyRequest) =>
        (request as unknown as Record<string, never>)[property];
      const answer = async (request: FastifyRequest) => describeAuth(authOf(request));
      /** The guard of the `/api` scope, with `routeMounted`. */
      let scopedGuard: TokenGuard | undefined;
      if (!spec.withoutGuard) {
        const plugin = (
          spec.guard === undefined
            ? { ...spec.guardOptions, ...spec.adapterOptions }
            : { guard: spec.guard, ...spec.adapterOptions }
        ) as Parameters<typeof tokenGuard>[1];
        const routeMounted = spec.routeMounted;
        if (routeMounted === undefined) app.register(tokenGuard, plugin);
        else {
          // The plugin in an encapsulated scope under a prefix: it guards that scope's routes.
          app.register(
            async (api) => {
              await api.register(tokenGuard, plugin);
              scopedGuard = api.tokenGuard;
              api.get('/protected', answer);
            },
            { prefix: '/api' },
          );
          // Registered after the scope, so its guard is known when these options are read.
          if (routeMounted.metadataHandler) {
            app.register(resourceMetadataHandler, () => ({ guard: scopedGuard as TokenGuard }));
          }
        }
        const ops = spec.ops;
        if (ops !== undefined) {
          // Operations routes opt out of the guard: probes and transmitters carry no token.
          app.get<{ Querystring: { probe?: string; summary?: string } }>(
            '/ops/ready',
            { config: { tokenguard: false } },
            async (request, reply) => {
              const health = await app.tokenGuard.health({
                probe: request.query.probe === '1',
                summary: request.query.summary === '1',
              });
              return reply.code(health.ready ? 200 : 503).send(health);
            },
          );
          app.get('/ops/metrics', { config: { tokenguard: false } }, async (_request, reply) =>
            reply.type(PROMETHEUS_CONTENT_TYPE).send(app.tokenGuard.metricsText()),
          );
          const sharedSignals = ops.sharedSignals;
          if (sharedSignals !== undefined) {
            app.register(sharedSignalsReceiver, (parent) => ({
              path: '/ops/ssf',
              guard: parent.tokenGuard,
              ...sharedSignals,
            }));
          }
        }
      }
      app.get('/protected', answer);
      app.get('/optional', { config: { tokenguard: { optional: true } } }, answer);
      app.get('/where', async (request) => whereView(authOf(request), request.auth));
      app.get('/scopes/all', { config: { tokenguard: { scopes: SCOPES_ALL } } }, answer);
      app.get('/scopes/any', { preHandler: requireAnyScope(...SCOPES_ANY) }, answer);
      app.get('/brand/static', { config: { tokenguard: { brand: BRAND_STATIC } } }, answer);
      app.get('/brand/list', { preHandler: requireBrand(BRAND_LIST) }, answer);
      app.get(
        '/brand/by-path/:brand',
        { config: { tokenguard: { brand: brandFromPath } } },
        answer,
      );
      app.get('/brand/by-host', { preHandler: requireBrand(brandFromHost) }, answer);
      app.get('/claims', { preHandler: requireClaims(subjectIsAlice) }, answer);
      app.get('/claims/throws', { preHandler: requireClaims(throwingPredicate) }, answer);
      app.post('/form', answer);
      app.get('/step-up/acr', { config: { tokenguard: { authContext: STEP_UP_ACR } } }, answer);
      app.get('/step-up/recent', { preHandler: requireAuthContext(STEP_UP_RECENT) }, answer);
      app.options('/protected', async (_request, reply) => reply.code(204).send());
      app.get('/dpop/required', { preHandler: requireDpop() }, answer);
      app.get('/dpop/disabled', { config: { tokenguard: { dpop: 'disabled' } } }, answer);
      app.get(
        '/optional/scopes',
        { config: { tokenguard: { optional: true, scopes: [ADMIN_SCOPE] } } },
        answer,
      );
      app.all('/any', answer);
      app.all('/any/scopes', { preHandler: requireScopes(ADMIN_SCOPE) }, answer);
      app.all('/any/any-scope', { config: { tokenguard: { anyScope: [ADMIN_SCOPE] } } }, answer);
      app.all('/any/brand', { preHandler: requireBrand(BRAND_STATIC) }, answer);
      app.all('/any/claims', { preHandler: requireClaims(subjectIsAlice) }, answer);
      app.all('/any/step-up', { preHandler: requireAuthContext(STEP_UP_ACR) }, answer);
      app.all('/any/dpop', { config: { tokenguard: { dpop: 'required' } } }, answer);

      try {
        // Plugins load here (the plugin awaits the guard's ready()): a refused option or a
        // contradicting issuer rejects startup.
        await app.listen({ port: 0, host: '127.0.0.1' });
      } catch (error) {
        await app.close().catch(() => undefined);
        throw error;
      }
      const address = app.server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      return {
        url: `${spec.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
        guard: spec.withoutGuard ? undefined : (scopedGuard ?? app.tokenGuard),
        // The plugin closes the guard it built in its onClose hook.
        close: () => app.close(),
      };
    },
  };
}
