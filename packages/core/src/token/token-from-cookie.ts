/**
 * The token in a named cookie, for browser-facing APIs. A browser attaches cookies to
 * requests other sites trigger, so a cookie token is ambient authority (cross-site request
 * forgery): it is read only on safe methods (RFC 9110 §9.2.1: GET, HEAD, OPTIONS, TRACE)
 * unless the application, having its own CSRF defence, opts in for the others.
 */
import { InvalidRequestError } from '../errors.js';
import type { RequestLike } from '../types.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * Whether the request carries a non-empty cookie `name` that is not read because the method
 * is unsafe: the refusal then says so (`cookie_ignored`) instead of looking like no token.
 */
export function isCookieIgnored(request: RequestLike, name: string): boolean {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return false;
  const header = request.headers.cookie;
  if (header === undefined) return false;
  const cookieString = typeof header === 'string' ? header : header.join('; ');
  return cookieString.split(';').some((pair) => {
    const eq = pair.indexOf('=');
    return eq !== -1 && pair.slice(0, eq).trim() === name && pair.slice(eq + 1).trim() !== '';
  });
}

/**
 * The value of cookie `name` (RFC 6265 §4.2.1 `cookie-string`), or `undefined` when it is
 * absent, empty (a logged-out browser keeps `name=`) or the method is unsafe. Two cookies of
 * that name are two tokens: 400 (RFC 6750 §2). The value is checked by the caller under the
 * header's rules.
 */
export function tokenFromCookie(
  request: RequestLike,
  name: string,
  onUnsafeMethods: boolean,
  realm?: string,
): string | undefined {
  if (!onUnsafeMethods && !SAFE_METHODS.has(request.method.toUpperCase())) return undefined;
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  // Node joins several Cookie fields with "; " (RFC 6265 §5.4 wants one), a list is the same.
  const cookieString = typeof header === 'string' ? header : header.join('; ');
  let found: string | undefined;
  let count = 0;
  for (const pair of cookieString.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    count++;
    found = pair.slice(eq + 1).trim();
  }
  if (count > 1)
    throw new InvalidRequestError('The request carries more than one access token', { realm });
  if (found === undefined) return undefined;
  // RFC 6265 §4.1.1: a cookie-value may be wrapped in double quotes.
  if (found.length >= 2 && found.startsWith('"') && found.endsWith('"')) found = found.slice(1, -1);
  // Cookie libraries percent-encode values (`+`, `/`, `=` of a b64token).
  if (found.includes('%')) {
    try {
      found = decodeURIComponent(found);
    } catch {
      throw new InvalidRequestError('The access token is malformed', { realm });
    }
  }
  return found === '' ? undefined : found;
}
