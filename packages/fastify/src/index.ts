/**
 * @tokenguard/fastify — the Fastify (4 and 5) plugin. It only translates: it builds a
 * `RequestLike` from the Fastify request, calls the core, sets `request.auth`, and writes
 * the core's error answer (or hands it to Fastify's error handler). Every decision is
 * taken once, in `@tokenguard/core`.
 */
import './augment.js';
import {
  type AuthContext,
  type BrandRequirement,
  type ClaimsPredicate,
  createGuard,
  type GuardOptions,
  normalizeRequirements,
  type RequestLike,
  type Requirements,
  ServerError,
  type TokenGuard,
  TokenGuardConfigError,
  type TokenGuardLogger,
} from '@tokenguard/core';
import type {
  FastifyBaseLogger,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import type { TokenGuardRouteConfig } from './augment.js';

export type {
  AuthContext,
  BrandRequirement,
  ClaimsPredicate,
  ErrorBody,
  ErrorResponse,
  GuardMetrics,
  GuardOptions,
  RequestLike,
  Requirements,
  TokenClaims,
  TokenGuard,
  TokenGuardErrorCode,
} from '@tokenguard/core';
export {
  AccessDeniedError,
  createGuard,
  InsufficientScopeError,
  InvalidBrandError,
  InvalidRequestError,
  InvalidTokenError,
  isTokenGuardError,
  MissingTokenError,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
  UpstreamUnavailableError,
} from '@tokenguard/core';
export type { TokenGuardRouteConfig } from './augment.js';

/** Options of the Fastify plugin itself (never passed to the core). */
export interface FastifyAdapterOptions {
  /**
   * Hand refusals to Fastify's error handler (`setErrorHandler`; the error carries
   * `statusCode`, `headers` and `body`) instead of answering directly. Default `false`.
   */
  readonly passErrors?: boolean;
  /**
   * The hook that authenticates. Default: `preValidation` when `allowBodyToken` is on (the
   * body must be parsed first), else `onRequest` (no body is parsed for a refused request).
   * Set it when passing a prebuilt `guard` that accepts body tokens.
   */
  readonly hook?: 'onRequest' | 'preValidation';
}

/** Build the guard from options, or share a prebuilt one (which you then close yourself). */
export type TokenGuardPluginOptions = (
  | GuardOptions
  | ({ readonly guard: TokenGuard } & { readonly [K in keyof GuardOptions]?: never })
) &
  FastifyAdapterOptions;

/** Where the route helpers find the guard (and how it answers) on a request. */
const GUARD = Symbol.for('tokenguard.guard');
const PASS_ERRORS = Symbol.for('tokenguard.passErrors');
const FORM = 'application/x-www-form-urlencoded';

/** Keys `register()` itself understands; never guard options. */
const REGISTER_KEYS = ['prefix', 'logLevel', 'logSerializers'] as const;

type Tagged = Record<symbol, unknown>;
type RouteSettings = {
  readonly optional: boolean;
  readonly requirements: Requirements | undefined;
};

const plugin: FastifyPluginAsync<TokenGuardPluginOptions> = async (fastify, options) => {
  const { guard, owned, pass, hook } = setUp(options);

  try {
    // A configuration the identity service contradicts (e.g. an issuer mismatch) fails at
    // startup, not on the first request.
    await guard.ready();
  } catch (error) {
    if (error instanceof TokenGuardConfigError) {
      if (owned) await guard.close();
      throw error;
    }
    // An outage is not a configuration error: the guard retries discovery per request
    // (answering 503 meanwhile), so the app may start.
    fastify.log.warn(`tokenguard: discovery failed at startup, will retry: ${errorMessage(error)}`);
  }
  if (owned) fastify.addHook('onClose', async () => guard.close());

  if (!fastify.hasRequestDecorator('auth')) {
    // `undefined`, not an object: Fastify 5 refuses reference-type defaults, and the type
    // is `auth?: AuthContext`.
    fastify.decorateRequest('auth', undefined);
  }
  if (!fastify.hasDecorator('tokenGuard')) fastify.decorate('tokenGuard', guard);

  if (hook === 'preValidation' && !fastify.hasContentTypeParser(FORM)) {
    // The core parses a string body as urlencoded; register @fastify/formbody first to
    // have objects in handlers instead.
    fastify.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
      done(null, body);
    });
  }

  // Route requirements are validated as routes are declared: a typo fails at startup.
  const settingsByConfig = new WeakMap<TokenGuardRouteConfig, RouteSettings>();
  const settingsOf = (config: TokenGuardRouteConfig | undefined): RouteSettings | undefined => {
    if (config === undefined) return undefined;
    let settings = settingsByConfig.get(config);
    if (settings === undefined) {
      settings = routeSettings(config);
      settingsByConfig.set(config, settings);
    }
    return settings;
  };
  fastify.addHook('onRoute', (route) => {
    settingsOf((route.config as { tokenguard?: TokenGuardRouteConfig } | undefined)?.tokenguard);
  });

  const authenticate = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    // A symbol key: skipped by JSON.stringify and Object.keys, and (unlike defineProperty)
    // it keeps the framework's request object in V8's fast-property mode.
    (request as unknown as Tagged)[GUARD] = guard;
    (request as unknown as Tagged)[PASS_ERRORS] = pass;
    const route = settingsOf(routeConfig(request));
    const requestLike = toRequestLike(request);
    let auth: AuthContext | undefined;
    try {
      auth = await guard.authenticate(requestLike, {
        logger: new RequestLogger(request.log),
        optional: route?.optional,
      });
    } catch (error) {
      return refuse(guard, pass, error, reply);
    }
    if (auth !== undefined) request.auth = auth;
    if (route?.requirements !== undefined) {
      try {
        await guard.authorize(auth, route.requirements, requestLike);
      } catch (error) {
        return refuse(guard, pass, error, reply);
      }
    }
    return undefined;
  };
  if (hook === 'onRequest') fastify.addHook('onRequest', authenticate);
  else fastify.addHook('preValidation', authenticate);
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

/** preHandler: the token must carry every one of `scopes` (RFC 6749 §3.3). */
export function requireScopes(...scopes: string[]): preHandlerAsyncHookHandler {
  return requirement({ scopes }, 'requireScopes');
}

/** preHandler: the token must carry at least one of `scopes`. */
export function requireAnyScope(...scopes: string[]): preHandlerAsyncHookHandler {
  return requirement({ anyScope: scopes }, 'requireAnyScope');
}

/**
 * preHandler: the token's own `brand` claim must be `brand` (a brand, a list, or a
 * function of the request). Nothing in the request can supply the token's brand.
 */
export function requireBrand(brand: BrandRequirement): preHandlerAsyncHookHandler {
  return requirement({ brand }, 'requireBrand');
}

/** preHandler: a custom predicate on the validated token; `false` answers 403. */
export function requireClaims(predicate: ClaimsPredicate): preHandlerAsyncHookHandler {
  return requirement({ predicate }, 'requireClaims');
}

function requirement(declared: Requirements, helper: string): preHandlerAsyncHookHandler {
  // Validated where the route is declared: a typo fails at startup, not per request.
  const requirements = normalizeRequirements(declared, helper);
  return async function requireToken(request, reply) {
    const guard = (request as unknown as Tagged)[GUARD] as TokenGuard | undefined;
    if (guard === undefined) {
      // Fail closed: a route helper outside the plugin's scope is a misconfiguration.
      const error = new ServerError({
        message: 'tokenguard: a route requirement ran on a request the plugin did not see',
      });
      return reply.code(error.status).headers(error.headers).send(error.body);
    }
    try {
      await guard.authorize(request.auth, requirements, toRequestLike(request));
    } catch (error) {
      return refuse(guard, (request as unknown as Tagged)[PASS_ERRORS] === true, error, reply);
    }
    return undefined;
  };
}

function setUp(options: TokenGuardPluginOptions): {
  guard: TokenGuard;
  owned: boolean;
  pass: boolean;
  hook: 'onRequest' | 'preValidation';
} {
  const { passErrors, hook, ...rest } = options as FastifyAdapterOptions & Record<string, unknown>;
  for (const key of REGISTER_KEYS) delete rest[key];
  if (passErrors !== undefined && typeof passErrors !== 'boolean') {
    throw new TokenGuardConfigError('passErrors', 'must be a boolean');
  }
  if (hook !== undefined && hook !== 'onRequest' && hook !== 'preValidation') {
    throw new TokenGuardConfigError('hook', "must be 'onRequest' or 'preValidation'");
  }
  const pass = passErrors === true;
  if ('guard' in rest) {
    const { guard, ...others } = rest;
    if (Object.keys(others).length > 0) {
      throw new TokenGuardConfigError(
        'guard',
        'cannot be combined with guard options (pass them to createGuard)',
      );
    }
    if (!isGuard(guard)) throw new TokenGuardConfigError('guard', 'must be a TokenGuard');
    return { guard, owned: false, pass, hook: hook ?? 'onRequest' };
  }
  const guardOptions = rest as GuardOptions;
  const guard = createGuard(guardOptions);
  return {
    guard,
    owned: true,
    pass,
    hook: hook ?? (guardOptions.allowBodyToken === true ? 'preValidation' : 'onRequest'),
  };
}

function routeSettings(config: TokenGuardRouteConfig): RouteSettings {
  const { optional, ...requirements } = config;
  if (optional !== undefined && typeof optional !== 'boolean') {
    throw new TokenGuardConfigError('config.tokenguard.optional', 'must be a boolean');
  }
  const normalized = normalizeRequirements(requirements, 'config.tokenguard');
  return { optional: optional === true, requirements: normalized.isEmpty ? undefined : normalized };
}

function routeConfig(request: FastifyRequest): TokenGuardRouteConfig | undefined {
  return (request.routeOptions.config as { tokenguard?: TokenGuardRouteConfig } | undefined)
    ?.tokenguard;
}

function refuse(
  guard: TokenGuard,
  pass: boolean,
  error: unknown,
  reply: FastifyReply,
): FastifyReply {
  // Thrown from an async hook, the error reaches the scope's error handler.
  if (pass) throw error;
  const answer = guard.errorResponse(error);
  return reply.code(answer.status).headers(answer.headers).send(answer.body);
}

function toRequestLike(request: FastifyRequest): RequestLike {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    rawHeaders: request.raw.rawHeaders,
    body: request.body,
  };
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isGuard(value: unknown): value is TokenGuard {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TokenGuard).authenticate === 'function' &&
    typeof (value as TokenGuard).errorResponse === 'function'
  );
}

/** The core's logger shape over pino's `(object, message)` call order. */
class RequestLogger implements TokenGuardLogger {
  readonly #log: FastifyBaseLogger;
  constructor(log: FastifyBaseLogger) {
    this.#log = log;
  }
  warn(message: string, detail?: Record<string, unknown>): void {
    this.#log.warn(detail ?? {}, message);
  }
  error(message: string, detail?: Record<string, unknown>): void {
    this.#log.error(detail ?? {}, message);
  }
}
