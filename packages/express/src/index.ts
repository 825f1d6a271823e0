/**
 * @tokenguard/express — the Express (4 and 5) adapter. It only translates, on the core's
 * adapter kit: Express request → `RequestLike`, the auth context → `req.auth`, the kit's
 * answer → `res`. Every decision is taken once, in `@tokenguard/core`.
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
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export * from '@tokenguard/core/adapter-exports';

/**
 * The request properties `requestProperty` may name: `auth` unless you add one. A migration
 * from a library that also sets `req.auth` (express-oauth2-jwt-bearer) adds its own name
 * here and on `Express.Request` (see the README).
 */
export interface TokenGuardRequestProperties {
  auth: true;
}
export type RequestProperty = keyof TokenGuardRequestProperties & string;

/** Options of the Express adapter itself (never passed to the core). */
export interface ExpressAdapterOptions extends AdapterOptions<RequestProperty> {}

/** The middleware returned by `tokenGuard()`: also `.guard`, `.optional`, `ready()`, `close()`. */
export type TokenGuardMiddleware = GuardMiddleware<RequestHandler>;

/** What the route helpers return: plain Express middleware. */
export interface RouteMiddleware extends RequestHandler {}

type WithLog = Request & { log?: unknown };

/**
 * Validates every request's bearer token and sets `req.auth`. The guard is built here,
 * once: a bad option throws now, never per request.
 *
 * @example
 * const auth = tokenGuard({ introspection: { endpoint, clientAuth: { method: 'bearer', token } } });
 * app.get('/feed', auth.optional, feed); // before app.use(auth): no token is fine here
 * app.use(auth);
 * app.get('/orders', requireScopes('orders:read'), (req, res) => res.json(req.auth?.claims));
 * await auth.ready();
 */
export function tokenGuard(options: GuardOptions & ExpressAdapterOptions): TokenGuardMiddleware;
export function tokenGuard(
  guard: TokenGuard,
  adapterOptions?: ExpressAdapterOptions,
): TokenGuardMiddleware;
export function tokenGuard(
  options: (GuardOptions & ExpressAdapterOptions) | TokenGuard,
  adapterOptions?: ExpressAdapterOptions,
): TokenGuardMiddleware {
  const adapter = createAdapter(options, adapterOptions);
  return adapter.middleware((optional): RequestHandler => {
    return (req, res, next) => {
      if (optional === undefined && adapter.mountUnknown) adapter.mountedAt(mountOf(req));
      const document = adapter.document(req.method, req.originalUrl);
      if (document !== undefined) return send(res, document);
      const view = toView(req);
      const preflight = adapter.preflight(view);
      if (preflight !== undefined) return send(res, preflight);
      adapter.tag(req);
      let result: AuthResult;
      try {
        result = adapter.authenticate(view, adapter.callContext((req as WithLog).log, optional));
      } catch (error) {
        return refuse(adapter, error, view, res, next);
      }
      // A cached verdict may come back synchronously: only a miss waits on a promise.
      if (!(result instanceof Promise)) return accept(adapter, req, result, next);
      // Express 4 ignores returned promises: every path ends in `next` or an answer, and
      // anything thrown on the way goes to `next`, so no rejection can go unhandled.
      result
        .then(
          (auth) => accept(adapter, req, auth, next),
          (error: unknown) => refuse(adapter, error, view, res, next),
        )
        .catch(next);
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
}: RequirementHelpers<RouteMiddleware> = createRequirementHelpers((route): RouteMiddleware => {
  return (req, res, next) => {
    const adapter = adapterOf(req);
    if (adapter === undefined) return send(res, unguardedAnswer(route, (req as WithLog).log));
    const view = toView(req);
    const context = adapter.callContext((req as WithLog).log);
    adapter.guard
      .authorize(adapter.authOf(req), route.requirements, view, context)
      .then(
        () => next(),
        (error: unknown) => refuse(adapter, error, view, res, next),
      )
      .catch(next);
  };
});

/**
 * An OpenID Shared Signals receiver (RFC 8935 push of RFC 8417 SETs): CAEP session-revoked
 * and credential-change events evict the subject's cached verdicts. Mount it before the
 * guard: the transmitter sends a signed SET, not an access token.
 *
 * @example
 * app.post('/ssf', sharedSignalsReceiver({ guard: auth, issuer, jwksUri, audience }));
 * app.use(auth);
 */
export function sharedSignalsReceiver(options: SharedSignalsRouteOptions): RequestHandler {
  const endpoint = createSharedSignalsEndpoint(options);
  return (req, res, next) => {
    endpoint.handle(req.method, req.headers, req.body, req).then((a) => send(res, a), next);
  };
}

/**
 * The RFC 9728 Protected Resource Metadata document at its well-known paths (`GET`, `HEAD`),
 * for a guard that is not mounted at the app's root: mounted on a route or under a path
 * prefix, the guard never sees those paths. Mount it at the root; other requests go on.
 *
 * @example
 * app.use(resourceMetadataHandler(auth));
 * app.get('/orders', auth, listOrders);
 */
export function resourceMetadataHandler(guard: GuardSource): RequestHandler {
  const endpoint = createResourceMetadataEndpoint(guard);
  return (req, res, next) => {
    const answer = endpoint.serve(req.method, req.originalUrl);
    if (answer === undefined) next();
    else send(res, answer);
  };
}

/** The route or path prefix the middleware runs under; `undefined` at the app's root. */
function mountOf(req: Request): string | undefined {
  const mount = `${req.baseUrl}${req.route === undefined ? '' : String(req.route.path)}`;
  return mount === '' ? undefined : mount;
}

function accept(adapter: Adapter, req: Request, auth: AuthContext | undefined, next: NextFunction) {
  adapter.attach(req, auth);
  next();
}

function refuse(
  adapter: Adapter,
  error: unknown,
  view: RequestLike,
  res: Response,
  next: NextFunction,
): void {
  // Once headers are out nothing sensible can be written; Express closes the response.
  if (adapter.passErrors || res.headersSent) next(adapter.passed(error));
  else send(res, adapter.answer(error, view));
}

function send(res: Response, answer: Answer): void {
  res.status(answer.status).set(answer.headers).send(answer.body);
}

function toView(req: Request): RequestLike {
  return nodeRequestView(req.method, req.originalUrl, req, req.body);
}
