/**
 * Builds the core's `RequestLike` from what a framework has. Two sources exist: Node's
 * `IncomingMessage` (Express, Koa, Fastify, Hono on `@hono/node-server`), which keeps every
 * header field line in `rawHeaders`, and a Fetch `Request` (Hono elsewhere), whose `Headers`
 * joins repeated field lines into one value (RFC 9110 §5.3). A field added to the view here
 * (say a peer certificate for mTLS) reaches every adapter.
 */
import type { HeaderBag, PeerSocket, RequestLike } from '../types.js';

/** The part of Node's `IncomingMessage` the view reads. */
export interface NodeMessage {
  readonly headers: HeaderBag;
  readonly rawHeaders: readonly string[];
  /** The connection: TLS or not, peer address, client certificate (DPoP `htu`, mTLS). */
  readonly socket?: PeerSocket | null;
}

/**
 * The view of a Node request. `url` is the request target as received (path and query);
 * `body` is whatever a body parser left (an object, or the raw urlencoded string).
 */
export function nodeRequestView(
  method: string,
  url: string,
  message: NodeMessage,
  body: unknown,
): RequestLike {
  return {
    method,
    url,
    headers: message.headers,
    rawHeaders: message.rawHeaders,
    body,
    socket: message.socket ?? undefined,
  };
}

/**
 * The view of a Fetch `Request`. Its headers come combined (no raw field lines), which the
 * core is told, so two Authorization fields joined into one value are still refused. The
 * runtime's URL gives the origin a DPoP proof's `htu` is checked against (RFC 9449 §4.3);
 * no socket exists, so no client certificate either (mTLS from `'socket'` refuses). The
 * peer's address, where the runtime's server tells it, lets a trusted proxy's `Client-Cert`
 * header count (RFC 9440).
 */
export function fetchRequestView(
  request: Request,
  body?: unknown,
  peerAddress?: string,
): RequestLike {
  const headers: Record<string, string> = {};
  // Fetch `Headers` iterates lower-case names, repeated fields joined with ", ".
  for (const [name, value] of request.headers) headers[name] = value;
  // Bun hands a request whose Host is not a valid authority a relative `url`: then there is
  // no origin, and the core judges the Host header itself (400, RFC 9110 §7.2).
  const url = URL.canParse(request.url) ? new URL(request.url) : undefined;
  return {
    method: request.method,
    url: url === undefined ? request.url : url.pathname + url.search,
    headers,
    combinedHeaders: true,
    body,
    ...(url === undefined ? {} : { origin: url.origin }),
    ...(peerAddress === undefined ? {} : { socket: { remoteAddress: peerAddress } }),
  };
}

const FORM = 'application/x-www-form-urlencoded';

/**
 * Whether a request may carry a form-body token (RFC 6750 §2.2: form-encoded, not GET/HEAD),
 * for adapters that must read the body themselves before authenticating.
 */
export function hasFormBody(method: string, contentType: string | null | undefined): boolean {
  if (method === 'GET' || method === 'HEAD' || typeof contentType !== 'string') return false;
  return contentType.split(';', 1)[0]?.trim().toLowerCase() === FORM;
}
