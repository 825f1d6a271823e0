/**
 * @tokenguard/hono — the Hono adapter (Hono on Node through `@hono/node-server`, or any
 * Fetch runtime). It only translates, on the core's adapter kit: the request → `RequestLike`,
 * the auth context → `c.get('auth')`, the kit's answer → a `Response`.
 */
import './augment.js';
import type { GuardOptions, RequestLike, TokenGuard } from '@tokenguard/core';
import {
  type AdapterOptions,
  type Answer,
  adapterOf,
  createAdapter,
  createRequirementHelpers,
  createResourceMetadataEndpoint,
  createSharedSignalsEndpoint,
  fetchRequestView,
  type GuardMiddleware,
  type GuardSource,
  hasFormBody,
  type NodeMessage,
  nodeRequestView,
  type RequirementHelpers,
  type SharedSignalsRouteOptions,
  unguardedAnswer,
} from '@tokenguard/core/adapter-kit';
import type { Context, MiddlewareHandler } from 'hono';
import type { VariableName } from './augment.js';

export * from '@tokenguard/core/adapter-exports';
export type { TokenGuardEnv, TokenGuardVariables, VariableName } from './augment.js';

/** Options of the Hono adapter itself (never passed to the core). */
export interface HonoAdapterOptions extends AdapterOptions<VariableName> {}

/** The middleware returned by `tokenGuard()`: also `.guard`, `.optional`, `ready()`, `close()`. */
export type TokenGuardMiddleware = GuardMiddleware<MiddlewareHandler>;

/**
 * Validates every request's bearer token and sets `c.get('auth')`.
 *
 * @example
 * const auth = tokenGuard({ introspection: { endpoint, clientAuth: { method: 'bearer', token } } });
 * app.use('/api/*', auth);
 * app.get('/api/orders', requireScopes('orders:read'), (c) => c.json(c.get('auth')?.claims));
 */
export function tokenGuard(options: GuardOptions & HonoAdapterOptions): TokenGuardMiddleware;
export function tokenGuard(guard: TokenGuard, options?: HonoAdapterOptions): TokenGuardMiddleware;
export function tokenGuard(
  options: (GuardOptions & HonoAdapterOptions) | TokenGuard,
  adapterOptions?: HonoAdapterOptions,
): TokenGuardMiddleware {
  const adapter = createAdapter(options, adapterOptions);
  return adapter.middleware((optional): MiddlewareHandler => {
    return async (c, next) => {
      if (optional === undefined && adapter.mountUnknown) adapter.mountedAt(mountOf(c));
      const node = nodeMessageOf(c);
      // RFC 9728 metadata is public: served before any token is looked for.
      const document = adapter.document(c.req.method, node?.url ?? requestTarget(c));
      if (document !== undefined) return write(c, document);
      // Only a form body to read, or a miss, waits: a cached verdict is answered in this tick.
      const view = readsBody(c, node, adapter.bodyToken)
        ? viewOf(c, node, await c.req.text())
        : viewOf(c, node, undefined);
      const preflight = adapter.preflight(view);
      if (preflight !== undefined) return write(c, preflight);
      adapter.tag(c);
      try {
        const result = adapter.authenticate(view, adapter.callContext(undefined, optional));
        const auth = result instanceof Promise ? await result : result;
        if (auth !== undefined) c.set(adapter.property as 'auth', auth);
      } catch (error) {
        return write(c, adapter.refuse(error, view));
      }
      await next();
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
}: RequirementHelpers<MiddlewareHandler> = createRequirementHelpers((route): MiddlewareHandler => {
  return async (c, next) => {
    const adapter = adapterOf(c);
    if (adapter === undefined) return write(c, unguardedAnswer(route));
    const view = viewOf(c, nodeMessageOf(c), undefined);
    try {
      await adapter.guard.authorize(c.get(adapter.property as 'auth'), route.requirements, view);
    } catch (error) {
      return write(c, adapter.refuse(error, view));
    }
    await next();
  };
});

/**
 * An OpenID Shared Signals receiver (RFC 8935 push of RFC 8417 SETs): CAEP session-revoked
 * and credential-change events evict the subject's cached verdicts. Mount it outside the
 * guard: the transmitter sends a signed SET, not an access token.
 *
 * @example
 * app.post('/ssf', sharedSignalsReceiver({ guard: auth, issuer, jwksUri, audience }));
 */
export function sharedSignalsReceiver(options: SharedSignalsRouteOptions): MiddlewareHandler {
  const endpoint = createSharedSignalsEndpoint(options);
  return async (c) => {
    const headers = Object.fromEntries(c.req.raw.headers);
    // The unread body stream: the endpoint reads it up to its byte bound.
    const body = c.req.raw.body ?? undefined;
    return write(c, await endpoint.handle(c.req.method, headers, undefined, body));
  };
}

/**
 * The RFC 9728 Protected Resource Metadata document at its well-known paths (`GET`, `HEAD`),
 * for a guard that is not mounted on every path: on a route or under a path (`/api/*`, a
 * sub-app, a base path) the guard never sees those paths. Use it on every path; other
 * requests go on.
 *
 * @example
 * app.use(resourceMetadataHandler(auth));
 * app.use('/api/*', auth);
 */
export function resourceMetadataHandler(guard: GuardSource): MiddlewareHandler {
  const endpoint = createResourceMetadataEndpoint(guard);
  return async (c, next) => {
    const answer = endpoint.serve(c.req.method, nodeMessageOf(c)?.url ?? requestTarget(c));
    if (answer === undefined) return next();
    return write(c, answer);
  };
}

/** The path the middleware is registered on; `undefined` on every path (`*`, `/*`). */
function mountOf(c: Context): string | undefined {
  // `routePath`: the path of the handler running now (Hono 4; the `hono/route` helper is newer).
  const path = c.req.routePath;
  return path === '*' || path === '/*' ? undefined : path;
}

/**
 * The request target as sent (path and query, not percent-decoded), as the other adapters
 * see it: Hono's `c.req.path` is decoded when it holds a `%`.
 */
function requestTarget(c: Context): string {
  const url = c.req.url;
  // Already a target where the runtime could not build an absolute URL (Bun, on a bad Host).
  if (url.startsWith('/')) return url;
  return url.slice(url.indexOf('/', url.indexOf('//') + 2));
}

function write(c: Context, answer: Answer): Response {
  // A 204 has no body (Fetch: a null body status refuses even an empty one).
  if (answer.status === 204) return c.body(null, 204, answer.headers);
  return c.body(answer.body, answer.status as 400, answer.headers);
}

type NodeIncoming = NodeMessage & { url?: string };

/** The Node message under the Fetch request on `@hono/node-server` (none on other runtimes). */
function nodeMessageOf(c: Context): NodeIncoming | undefined {
  const node = (c.env as { incoming?: NodeIncoming } | undefined)?.incoming;
  return node?.rawHeaders === undefined ? undefined : node;
}

/**
 * The peer's address from the runtime's server, which Hono passes as `c.env`: Bun's server
 * (`requestIP(request)`) or Deno's handler info (`remoteAddr`). Read by what the env offers.
 */
function peerAddressOf(c: Context): string | undefined {
  const env = c.env as
    | {
        requestIP?: (request: Request) => { address?: string } | null;
        remoteAddr?: { hostname?: string };
      }
    | undefined;
  if (typeof env?.requestIP === 'function') return env.requestIP(c.req.raw)?.address;
  const hostname = env?.remoteAddr?.hostname;
  return typeof hostname === 'string' ? hostname : undefined;
}

/**
 * Hono parses no body by itself: a form body is read (and kept for handlers) only when the
 * guard takes body tokens (RFC 6750 §2.2).
 */
function readsBody(c: Context, node: NodeIncoming | undefined, bodyToken: boolean): boolean {
  if (!bodyToken) return false;
  const type = node ? node.headers['content-type'] : c.req.header('content-type');
  return hasFormBody(c.req.method, type as string | undefined);
}

/**
 * On `@hono/node-server` the Node message keeps every header line (the duplicate check);
 * elsewhere the Fetch request's combined headers.
 */
function viewOf(c: Context, node: NodeIncoming | undefined, body: string | undefined): RequestLike {
  if (node === undefined) return fetchRequestView(c.req.raw, body, peerAddressOf(c));
  return nodeRequestView(c.req.method, node.url ?? c.req.path, node, body);
}
