/**
 * The URI a DPoP proof's `htu` must match (RFC 9449 §4.3): the request's target URI
 * (RFC 9110 §7.1) without query and fragment. The scheme comes from the connection
 * (TLS or not) and the authority from `Host`, as the server received them; behind a
 * TLS-terminating proxy the application names its public origin(s) explicitly
 * (`dpop.origins`). Forwarded headers (`X-Forwarded-Proto`, `Forwarded`) are never read:
 * any client can send them.
 */
import { InvalidRequestError } from '../errors.js';
import type { RequestLike } from '../types.js';
import { normalizeHtu } from './normalize-htu.js';

/**
 * Every URI the request may legitimately be addressed as, normalised. With configured
 * origins, one per origin; otherwise the one the connection and `Host` give.
 */
export function requestHtus(
  request: RequestLike,
  origins: readonly string[] | undefined,
): readonly string[] {
  const path = pathOf(request.url);
  if (origins !== undefined) {
    const result: string[] = [];
    for (const origin of origins) {
      const htu = normalizeHtu(origin + path);
      if (htu !== undefined) result.push(htu);
    }
    return result;
  }
  const htu = normalizeHtu(`${originOf(request)}${path}`);
  return htu === undefined ? [] : [htu];
}

/**
 * Scheme and authority: the connection's TLS state and `Host` on Node; on a Fetch runtime
 * the origin of the URL it built (`RequestLike.origin`). `''` when neither is known, which
 * no proof matches.
 */
function originOf(request: RequestLike): string {
  const host = request.headers.host;
  if (request.origin !== undefined) {
    // A runtime may build its URL by joining Host and target unchecked (Deno.serve: `Host:
    // api.example/orders?` and target /admin give the URL /orders?/admin), so the Host it
    // was built from must be host[:port] here too.
    if (typeof host === 'string' && !AUTHORITY.test(host)) throw invalidHost();
    return request.origin;
  }
  if (typeof host !== 'string' || host === '') return '';
  // Nothing is built from an unchecked header: `Host: api.example/orders#` would move the
  // real path out of the URL, and a proof for /orders would match any path.
  if (!AUTHORITY.test(host)) throw invalidHost();
  const origin = `${request.socket?.encrypted === true ? 'https' : 'http'}://${host}`;
  // The URL built must have exactly that authority: no userinfo, path, query or fragment.
  let built: URL;
  try {
    built = new URL(origin);
  } catch {
    throw invalidHost();
  }
  if (built.href !== `${built.origin}/`) throw invalidHost();
  return origin;
}

function invalidHost(): InvalidRequestError {
  return new InvalidRequestError('The Host header is not a valid host');
}

/**
 * RFC 9110 §7.2 `Host = uri-host [ ":" port ]`, with RFC 3986 §3.2.2 `host = IP-literal /
 * IPv4address / reg-name` (reg-name without percent-encoding, which no DNS name needs;
 * IP-literal as IPv6) and §3.2.3 `port = *DIGIT`.
 */
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=]+)(?::[0-9]{0,5})?$/;

/** The path of a request target: origin-form as received, or the path of an absolute-form. */
function pathOf(target: string): string {
  let end = target.length;
  const query = target.indexOf('?');
  if (query !== -1) end = query;
  const hash = target.indexOf('#');
  if (hash !== -1 && hash < end) end = hash;
  const path = target.slice(0, end);
  if (path.startsWith('/')) return path;
  // Absolute-form (RFC 9112 §3.2.2), as sent to proxies: keep only its path.
  try {
    return new URL(path).pathname;
  } catch {
    return '/';
  }
}
