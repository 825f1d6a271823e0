/**
 * @tokenguard/koa — the Koa (2 and 3) adapter. It only translates: it builds a `RequestLike`
 * from the Koa context, calls the core, sets `ctx.state.auth`, and writes the core's error
 * answer. Every decision is taken once, in `@tokenguard/core`.
 */
import './augment.js';
import {
  type BrandRequirement,
  type ClaimsPredicate,
  createGuard,
  type ErrorResponse,
  type GuardOptions,
  normalizeRequirements,
  type RequestLike,
  type Requirements,
  ServerError,
  type TokenGuard,
  TokenGuardConfigError,
} from '@tokenguard/core';
import type Koa from 'koa';

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

/** Options of the Koa adapter itself (never passed to the core). */
export interface KoaAdapterOptions {
  /**
   * Rethrow refusals to upstream middleware (Koa's `app.on('error')`/`ctx.onerror` render
   * them: the error carries `status`, `headers`, `expose`) instead of answering directly.
   * Default `false`.
   */
  readonly passErrors?: boolean;
}

/** The middleware returned by `tokenGuard()`; `guard` exposes metrics and `close()`. */
export type TokenGuardMiddleware = Koa.Middleware & { readonly guard: TokenGuard };

/** Where the route helpers find the guard (and how it answers) on a context. */
const GUARD = Symbol.for('tokenguard.guard');
const PASS_ERRORS = Symbol.for('tokenguard.passErrors');

type Tagged = Record<symbol, unknown>;

/**
 * Validates every request's bearer token and sets `ctx.state.auth`. The guard is built
 * here, once: a bad option throws now, never per request.
 *
 * @example
 * app.use(tokenGuard({ introspection: { endpoint, clientAuth: { method: 'bearer', token } } }));
 * router.get('/orders', requireScopes('orders:read'), (ctx) => { ctx.body = ctx.state.auth?.claims; });
 */
export function tokenGuard(options: GuardOptions & KoaAdapterOptions): TokenGuardMiddleware;
export function tokenGuard(
  guard: TokenGuard,
  adapterOptions?: KoaAdapterOptions,
): TokenGuardMiddleware;
export function tokenGuard(
  options: (GuardOptions & KoaAdapterOptions) | TokenGuard,
  adapterOptions: KoaAdapterOptions = {},
): TokenGuardMiddleware {
  let guard: TokenGuard;
  let passErrors: unknown;
  if (isGuard(options)) {
    guard = options;
    passErrors = adapterOptions.passErrors;
  } else {
    // The core refuses unknown keys, so adapter-only keys are taken out first.
    const { passErrors: pass, ...guardOptions } = options;
    passErrors = pass;
    guard = createGuard(guardOptions);
  }
  if (passErrors !== undefined && typeof passErrors !== 'boolean') {
    throw new TokenGuardConfigError('passErrors', 'must be a boolean');
  }
  const pass = passErrors === true;

  const middleware: Koa.Middleware = async (ctx, next) => {
    // A symbol key: skipped by JSON.stringify and Object.keys, and (unlike defineProperty)
    // it keeps the framework's request object in V8's fast-property mode.
    (ctx as unknown as Tagged)[GUARD] = guard;
    (ctx as unknown as Tagged)[PASS_ERRORS] = pass;
    let auth: Awaited<ReturnType<TokenGuard['authenticate']>>;
    try {
      auth = await guard.authenticate(toRequestLike(ctx));
    } catch (error) {
      if (pass) throw error;
      answer(ctx, guard.errorResponse(error));
      return;
    }
    if (auth !== undefined) ctx.state.auth = auth;
    // Outside the try: errors from downstream middleware are not ours to render.
    await next();
  };
  return Object.assign(middleware, { guard });
}

/** Route middleware: the token must carry every one of `scopes` (RFC 6749 §3.3). */
export function requireScopes(...scopes: string[]): Koa.Middleware {
  return requirement({ scopes }, 'requireScopes');
}

/** Route middleware: the token must carry at least one of `scopes`. */
export function requireAnyScope(...scopes: string[]): Koa.Middleware {
  return requirement({ anyScope: scopes }, 'requireAnyScope');
}

/**
 * Route middleware: the token's own `brand` claim must be `brand` (a brand, a list, or a
 * function of the request). Nothing in the request can supply the token's brand.
 */
export function requireBrand(brand: BrandRequirement): Koa.Middleware {
  return requirement({ brand }, 'requireBrand');
}

/** Route middleware: a custom predicate on the validated token; `false` answers 403. */
export function requireClaims(predicate: ClaimsPredicate): Koa.Middleware {
  return requirement({ predicate }, 'requireClaims');
}

function requirement(declared: Requirements, helper: string): Koa.Middleware {
  // Validated where the route is declared: a typo fails at startup, not per request.
  const requirements = normalizeRequirements(declared, helper);
  return async (ctx, next) => {
    const guard = (ctx as unknown as Tagged)[GUARD] as TokenGuard | undefined;
    if (guard === undefined) {
      // Fail closed: a route helper without `tokenGuard()` before it is a misconfiguration.
      const error = new ServerError({
        message: 'tokenguard: a route requirement ran on a request that tokenGuard() did not see',
      });
      answer(ctx, { status: error.status, headers: error.headers, body: error.body });
      return;
    }
    try {
      await guard.authorize(ctx.state.auth, requirements, toRequestLike(ctx));
    } catch (error) {
      if ((ctx as unknown as Tagged)[PASS_ERRORS] === true) throw error;
      answer(ctx, guard.errorResponse(error));
      return;
    }
    await next();
  };
}

function answer(ctx: Koa.Context, response: ErrorResponse): void {
  ctx.status = response.status;
  ctx.set(response.headers);
  ctx.body = response.body;
}

function toRequestLike(ctx: Koa.Context): RequestLike {
  return {
    method: ctx.method,
    url: ctx.originalUrl,
    headers: ctx.req.headers,
    rawHeaders: ctx.req.rawHeaders,
    // Set by a body parser (koa-bodyparser, @koa/bodyparser) when one ran before us.
    body: (ctx.request as { body?: unknown }).body,
  };
}

function isGuard(value: object): value is TokenGuard {
  return (
    typeof (value as TokenGuard).authenticate === 'function' &&
    typeof (value as TokenGuard).errorResponse === 'function'
  );
}
