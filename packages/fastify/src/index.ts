/**
 * @tokenguard/fastify — the Fastify (4 and 5) plugin. It only translates, on the core's
 * adapter kit: Fastify request → `RequestLike`, the auth context → `request.auth`, the
 * kit's answer → `reply` (or the error to Fastify's error handler). Every decision is
 * taken once, in `@tokenguard/core`.
 */
import './augment.js';
import {
  type AuthContext,
  type GuardOptions,
  type RequestLike,
  type Requirements,
  type TokenGuard,
  TokenGuardConfigError,
} from '@tokenguard/core';
import {
  type Adapter,
  type AdapterOptions,
  type Answer,
  type AuthResult,
  adapterOf,
  createAdapter,
  createRequirementHelpers,
  createResourceMetadataEndpoint,
  createSharedSignalsEndpoint,
  type GuardSource,
  nodeRequestView,
  normalizeRequirements,
  type RequirementHelpers,
  type ResourceMetadataEndpoint,
  type SharedSignalsRouteOptions,
  unguardedAnswer,
} from '@tokenguard/core/adapter-kit';
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import type { RequestProperty, TokenGuardRouteConfig } from './augment.js';

export * from '@tokenguard/core/adapter-exports';
export type {
  RequestProperty,
  TokenGuardRequestProperties,
  TokenGuardRouteConfig,
} from './augment.js';

/** Options of the Fastify plugin itself (never passed to the core). */
export interface FastifyAdapterOptions extends AdapterOptions<RequestProperty> {
  /**
   * The hook that authenticates. Default: `preValidation` when the guard's `token.body`
   * is on (the body must be parsed first; a prebuilt `guard` included), else `onRequest` (no
   * body is parsed for a refused request).
   */
  readonly hook?: 'onRequest' | 'preValidation';
}

/** Build the guard from options, or share a prebuilt one (which you then close yourself). */
export type TokenGuardPluginOptions = (
  | GuardOptions
  | ({ readonly guard: TokenGuard } & { readonly [K in keyof GuardOptions]?: never })
) &
  FastifyAdapterOptions;

const FORM = 'application/x-www-form-urlencoded';
/** Keys `register()` itself understands; never guard options. */
const REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers'];

type RouteSettings = {
  /** `undefined`: the guard's own `optional` applies. */
  readonly optional: boolean | undefined;
  readonly requirements: Requirements | undefined;
};

const plugin: FastifyPluginAsync<TokenGuardPluginOptions> = async (fastify, options) => {
  const adapter = createAdapter(options, {}, ['hook'], REGISTER_KEYS);
  const hook = adapter.frameworkOptions.hook ?? (adapter.bodyToken ? 'preValidation' : 'onRequest');
  if (hook !== 'onRequest' && hook !== 'preValidation') {
    await adapter.close();
    throw new TokenGuardConfigError('hook', "must be 'onRequest' or 'preValidation'");
  }
  await adapter.ready(fastify.log);
  fastify.addHook('onClose', async () => {
    await adapter.close();
  });

  const metadata = adapter.settings.resourceMetadata;
  if (metadata !== undefined) {
    // Routes are global unless a prefix applies: under one the document's routes would land
    // at the wrong path, so startup says so unless the app serves them at the root itself.
    if (fastify.prefix === '') {
      addDocumentRoutes(fastify, {
        paths: metadata.paths,
        serve: (m, u) => adapter.document(m, u),
      });
    } else {
      const prefix = fastify.prefix;
      fastify.addHook('onReady', async () => {
        if (!fastify.hasRoute({ method: 'GET', url: metadata.paths[0] as string })) {
          adapter.documentUnreachable(`under the prefix ${prefix}`);
        }
      });
    }
  }

  if (!fastify.hasRequestDecorator(adapter.property)) {
    // `undefined`, not an object: Fastify 5 refuses reference-type defaults.
    fastify.decorateRequest(adapter.property, undefined);
  }
  if (!fastify.hasDecorator('tokenGuard')) fastify.decorate('tokenGuard', adapter.guard);

  if (hook === 'preValidation' && !fastify.hasContentTypeParser(FORM)) {
    // The core parses a string body as urlencoded; register @fastify/formbody first to
    // have objects in handlers instead.
    fastify.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
      done(null, body);
    });
  }

  // Route requirements are validated as routes are declared: a typo fails at startup.
  const settingsByConfig = new WeakMap<TokenGuardRouteConfig, RouteSettings>();
  const settingsOf = (
    config: TokenGuardRouteConfig | false | undefined,
  ): RouteSettings | undefined => {
    if (config === undefined || config === false) return undefined;
    let settings = settingsByConfig.get(config);
    if (settings === undefined) {
      settings = routeSettings(config);
      settingsByConfig.set(config, settings);
    }
    return settings;
  };
  fastify.addHook('onRoute', (route) => {
    settingsOf(
      (route.config as { tokenguard?: TokenGuardRouteConfig | false } | undefined)?.tokenguard,
    );
  });

  // Callback style: a cached verdict that comes back synchronously costs no promise.
  function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ) {
    const document = adapter.document(request.method, request.url);
    if (document !== undefined) return write(reply, document);
    const config = (
      request.routeOptions.config as { tokenguard?: TokenGuardRouteConfig | false } | undefined
    )?.tokenguard;
    // A route that opted out (a readiness probe, the Shared Signals receiver) is not guarded.
    if (config === false) return done();
    const view = toView(request);
    const preflight = adapter.preflight(view);
    if (preflight !== undefined) return write(reply, preflight);
    adapter.tag(request);
    const route = settingsOf(config);
    let result: AuthResult;
    try {
      // The route's requirement is checked with the guard-wide one, in one order.
      const requirements = adapter.checksRouteRequirements ? route?.requirements : undefined;
      result = adapter.authenticate(
        view,
        adapter.callContext(request.log, route?.optional, requirements),
      );
    } catch (error) {
      return refuse(adapter, error, view, reply, done);
    }
    if (!(result instanceof Promise))
      return accept(adapter, route, view, request, reply, done, result);
    result.then(
      (auth) => accept(adapter, route, view, request, reply, done, auth),
      (error: unknown) => refuse(adapter, error, view, reply, done),
    );
  }
  fastify.addHook(hook, authenticate);
};

/**
 * The tokenguard plugin. Its hook covers the scope it is registered in and that scope's
 * children (fastify-plugin semantics): register it inside the scope you want protected.
 *
 * @example
 * await app.register(tokenGuard, { introspection: { endpoint, clientAuth } });
 * app.get('/orders', { config: { tokenguard: { scopes: ['orders:read'] } } }, (request) => request.auth?.claims);
 */
export const tokenGuard = fp(plugin, { name: '@tokenguard/fastify', fastify: '4.x || 5.x' });

export const {
  requireScopes,
  requireAnyScope,
  requireBrand,
  requireClaims,
  requireAuthContext,
  requireDpop,
}: RequirementHelpers<preHandlerAsyncHookHandler> = createRequirementHelpers(
  (route): preHandlerAsyncHookHandler => {
    return async function requireToken(request, reply) {
      const adapter = adapterOf(request);
      if (adapter === undefined) return write(reply, unguardedAnswer(route, request.log));
      const view = toView(request);
      try {
        const auth = adapter.authOf(request);
        await adapter.guard.authorize(
          auth,
          route.requirements,
          view,
          adapter.callContext(request.log),
        );
      } catch (error) {
        // With passErrors, thrown from an async hook: the scope's error handler renders it.
        return write(reply, adapter.refuse(error, view));
      }
      return undefined;
    };
  },
);

/** Options of the `resourceMetadataHandler` plugin. */
export interface ResourceMetadataPluginOptions {
  /** The guard whose RFC 9728 document is served (`app.tokenGuard`, or a prebuilt one). */
  readonly guard: GuardSource;
}

/**
 * The RFC 9728 Protected Resource Metadata document at its well-known paths (`GET`, `HEAD`),
 * as routes that skip the guard. The `tokenGuard` plugin adds them itself wherever no prefix
 * applies; register this one at the root when the guard sits under a prefix.
 *
 * @example
 * await app.register(resourceMetadataHandler, { guard });
 * await app.register(async (api) => { await api.register(tokenGuard, { guard }); }, { prefix: '/api' });
 */
export const resourceMetadataHandler: FastifyPluginAsync<ResourceMetadataPluginOptions> = fp(
  async (fastify: FastifyInstance, { guard }: ResourceMetadataPluginOptions) => {
    if (fastify.prefix !== '') {
      throw new TokenGuardConfigError(
        'resourceMetadataHandler',
        `must be registered outside any prefix (here ${fastify.prefix}): RFC 9728 §3 serves the document at the host's root`,
      );
    }
    addDocumentRoutes(fastify, createResourceMetadataEndpoint(guard));
  },
  { name: '@tokenguard/fastify/resource-metadata', fastify: '4.x || 5.x' },
);

/** The document's routes, once per path (several guards or plugins may offer them). */
function addDocumentRoutes(fastify: FastifyInstance, endpoint: ResourceMetadataEndpoint): void {
  for (const url of endpoint.paths) {
    if (fastify.hasRoute({ method: 'GET', url })) continue;
    fastify.route({
      method: 'GET',
      url,
      exposeHeadRoute: true,
      config: { tokenguard: false },
      handler: (request, reply) => {
        const answer = endpoint.serve(request.method, request.url);
        return answer === undefined ? reply.callNotFound() : write(reply, answer);
      },
    });
  }
}

/** Options of the Shared Signals receiver plugin: the receiver's, and its route's path. */
export type SharedSignalsPluginOptions = SharedSignalsRouteOptions & {
  /** Where the transmitter pushes, e.g. `'/ssf'`. */
  readonly path: string;
};

const SET_MEDIA_TYPE = 'application/secevent+jwt';

/**
 * An OpenID Shared Signals receiver (RFC 8935 push of RFC 8417 SETs) as a plugin: one
 * `POST` route whose SET body is read as text in the plugin's own scope. CAEP
 * session-revoked and credential-change events evict the subject's cached verdicts. The
 * route skips the guard (`config.tokenguard: false`): the transmitter sends a signed SET,
 * not an access token.
 *
 * @example
 * await app.register(sharedSignalsReceiver, { path: '/ssf', guard: app.tokenGuard, issuer, jwksUri, audience });
 */
export const sharedSignalsReceiver: FastifyPluginAsync<SharedSignalsPluginOptions> = async (
  fastify,
  { path, ...options },
) => {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new TokenGuardConfigError('sharedSignalsReceiver.path', "must be a path like '/ssf'");
  }
  const endpoint = createSharedSignalsEndpoint(options);
  // Every media type reaches the receiver as text, so a wrong one is answered as RFC 8935
  // §2.3 says (400 invalid_request) rather than with Fastify's 415.
  for (const type of [SET_MEDIA_TYPE, '*']) {
    fastify.addContentTypeParser(type, { parseAs: 'string' }, (_request, body, done) => {
      done(null, body);
    });
  }
  fastify.post(path, { config: { tokenguard: false } }, async (request, reply) =>
    write(reply, await endpoint.handle(request.method, request.headers, request.body, undefined)),
  );
};

function routeSettings(config: TokenGuardRouteConfig): RouteSettings {
  const { optional, ...requirements } = config;
  if (optional !== undefined && typeof optional !== 'boolean') {
    throw new TokenGuardConfigError('config.tokenguard.optional', 'must be a boolean');
  }
  const normalized = normalizeRequirements(requirements, 'config.tokenguard');
  return { optional, requirements: normalized.isEmpty ? undefined : normalized };
}

function accept(
  adapter: Adapter,
  route: RouteSettings | undefined,
  view: RequestLike,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
  auth: AuthContext | undefined,
): void {
  adapter.attach(request, auth);
  // Checked by the guard already, unless there was no token (an optional route, an opted-in
  // preflight: `authorize` fails closed) or the guard is from another copy.
  if (
    route?.requirements === undefined ||
    (auth !== undefined && adapter.checksRouteRequirements)
  ) {
    done();
    return;
  }
  adapter.guard.authorize(auth, route.requirements, view, adapter.callContext(request.log)).then(
    () => done(),
    (error: unknown) => refuse(adapter, error, view, reply, done),
  );
}

function refuse(
  adapter: Adapter,
  error: unknown,
  view: RequestLike,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  if (adapter.passErrors) done(adapter.passed(error) as Error);
  else write(reply, adapter.answer(error, view));
}

function write(reply: FastifyReply, answer: Answer): FastifyReply {
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

function toView(request: FastifyRequest): RequestLike {
  return nodeRequestView(request.method, request.url, request.raw, request.body);
}
