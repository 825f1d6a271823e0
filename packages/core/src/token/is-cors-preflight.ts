import type { RequestLike } from '../types.js';

/**
 * A CORS preflight (Fetch standard §3.2.2 "CORS-preflight request"): `OPTIONS` with `Origin`
 * and `Access-Control-Request-Method`. Browsers never attach credentials to it, so it can
 * carry no token; a guard that refused it would break every cross-origin call.
 */
export function isCorsPreflight(request: RequestLike): boolean {
  return (
    request.method.toUpperCase() === 'OPTIONS' &&
    request.headers.origin !== undefined &&
    request.headers['access-control-request-method'] !== undefined
  );
}
