/**
 * @tokenguard/koa — the Koa (2 and 3) adapter. It only translates, on the core's adapter
 * kit: Koa context → `RequestLike`, the auth context → `ctx.state.auth`, the kit's answer →
 * `ctx`. Every decision is taken once, in `@tokenguard/core`.
 */
import './augment.js';
import type { AuthContext, GuardOptions, RequestLike, TokenGuard } from '@tokenguard/core';
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
  type GuardMiddleware,
  type GuardSource,
  nodeRequestView,
  type RequirementHelpers,
  type SharedSignalsRouteOptions,
  unguardedAnswer,
} from '@tokenguard/core/adapter-kit';
import type Koa from 'koa';

export * from '@tokenguard/core/adapter-exports';

/**
 * The `ctx.state` properties `requestProperty` may name: `auth` unless you add one (and
 * the same name on Koa's `DefaultState`; see the README).
 */
export interface TokenGuardStateProperties {
  auth: true;
}
export type StateProperty = keyof TokenGuardStateProperties & string;

/** Options of the Koa adapter itself (never passed to the core). */
export interface KoaAdapterOptions extends AdapterOptions<StateProperty> {}

/** The middleware returned by `tokenGuard()`: also `.guard`, `.optional`, `ready()`, `close()`. */
export type TokenGuardMiddleware = GuardMiddleware<Koa.Middleware>;

type Ctx = Koa.Context & { log?: unknown };

/**
 * Validates every request's bearer token and sets `ctx.state.auth`. The guard is built
 * here, once: a bad option throws now, never per request.
 *
 * @example
 * const auth = tokenGuard({ introspection: { endpoint, clientAuth: { method: 'bearer', token } } });
 * app.use(auth);
 * router.get('/orders', requireScopes('orders:read'), (ctx) => { ctx.body = ctx.state.auth?.claims; });
 * await auth.ready();
 */
export function tokenGuard(options: GuardOptions & KoaAdapterOptions): TokenGuardMiddleware;
export function tokenGuard(
  guard: TokenGuard,
  adapterOptions?: KoaAdapterOptions,
): TokenGuardMiddleware;
export function tokenGuard(
  options: (GuardOptions & KoaAdapterOptions) | TokenGuard,
  adapterOptions?: KoaAdapterOptions,
): TokenGuardMiddleware {
  const adapter = createAdapter(options, adapterOptions);
  return adapter.middleware((optional): Koa.Middleware => {
    return (ctx: Ctx, next) => {
      if (optional === undefined && adapter.mountUnknown) adapter.mountedAt(mountOf(ctx));
      const document = adapter.document(ctx.method, ctx.originalUrl);
      if (document !== undefined) return write(ctx, document);
      const view = toView(ctx);
      const preflight = adapter.preflight(view);
      if (preflight !== undefined) return write(ctx, preflight);
      adapter.tag(ctx);
      let result: AuthResult;
      try {
        result = adapter.authenticate(view, adapter.callContext(ctx.log, optional));
      } catch (error) {
        return refuse(adapter, error, view, ctx);
      }
      // A cached verdict may come back synchronously: only a miss waits on a promise.
      if (result instanceof Promise) return settle(adapter, result, view, ctx, next);
      adapter.attach(ctx.state, result);
      return next();
    };
  });
}

export const {
  requireScopes,
  requireAnyScope,
  requireBrand,
  requireClaims,
  requireAuthContext,
  requireDpop,
}: RequirementHelpers<Koa.Middleware> = createRequirementHelpers((route): Koa.Middleware => {
  return async (ctx: Ctx, next) => {
    const adapter = adapterOf(ctx);
    if (adapter === undefined) return write(ctx, unguardedAnswer(route, ctx.log));
    const view = toView(ctx);
    try {
      const auth = adapter.authOf(ctx.state);
      await adapter.guard.authorize(auth, route.requirements, view, adapter.callContext(ctx.log));
    } catch (error) {
      return refuse(adapter, error, view, ctx);
    }
    await next();
  };
});

/**
 * An OpenID Shared Signals receiver (RFC 8935 push of RFC 8417 SETs): CAEP session-revoked
 * and credential-change events evict the subject's cached verdicts. Mount it before the
 * guard: the transmitter sends a signed SET, not an access token.
 *
 * @example
 * router.post('/ssf', sharedSignalsReceiver({ guard: auth, issuer, jwksUri, audience }));
 */
export function sharedSignalsReceiver(options: SharedSignalsRouteOptions): Koa.Middleware {
  const endpoint = createSharedSignalsEndpoint(options);
  return async (ctx: Ctx) => {
    const body = (ctx.request as { body?: unknown }).body;
    write(ctx, await endpoint.handle(ctx.method, ctx.headers, body, ctx.req));
  };
}

/**
 * The RFC 9728 Protected Resource Metadata document at its well-known paths (`GET`, `HEAD`),
 * for a guard that is not mounted on the whole app: on a router's routes or under a mount
 * path, the guard never sees those paths. Use it on the app itself; other requests go on.
 *
 * @example
 * app.use(resourceMetadataHandler(auth));
 * router.get('/orders', auth, listOrders);
 */
export function resourceMetadataHandler(guard: GuardSource): Koa.Middleware {
  const endpoint = createResourceMetadataEndpoint(guard);
  return (ctx: Ctx, next) => {
    const answer = endpoint.serve(ctx.method, ctx.originalUrl);
    if (answer === undefined) return next();
    write(ctx, answer);
    return Promise.resolve();
  };
}

/**
 * The route (@koa/router's matched route) or mount path (koa-mount) the middleware runs
 * under; `undefined` on the app itself.
 */
function mountOf(ctx: Ctx): string | undefined {
  const { _matchedRoute: route, mountPath } = ctx as Ctx & {
    _matchedRoute?: unknown;
    mountPath?: unknown;
  };
  const mount = route ?? mountPath;
  return mount === undefined || mount === '' || mount === '/' ? undefined : String(mount);
}

async function settle(
  adapter: Adapter,
  pending: Promise<AuthContext | undefined>,
  view: RequestLike,
  ctx: Ctx,
  next: Koa.Next,
): Promise<void> {
  let auth: AuthContext | undefined;
  try {
    auth = await pending;
  } catch (error) {
    return refuse(adapter, error, view, ctx);
  }
  adapter.attach(ctx.state, auth);
  // Outside the try: errors from downstream middleware are not ours to render.
  await next();
}

function refuse(adapter: Adapter, error: unknown, view: RequestLike, ctx: Ctx): void {
  // With passErrors, rethrown to upstream middleware, `app.on('error')` and `ctx.onerror`.
  write(ctx, adapter.refuse(error, view));
}

function write(ctx: Ctx, answer: Answer): void {
  ctx.status = answer.status;
  ctx.set(answer.headers);
  ctx.body = answer.body;
}

function toView(ctx: Ctx): RequestLike {
  // `ctx.request.body`: set by a body parser (koa-bodyparser, @koa/bodyparser) that ran first.
  return nodeRequestView(
    ctx.method,
    ctx.originalUrl,
    ctx.req,
    (ctx.request as { body?: unknown }).body,
  );
}
