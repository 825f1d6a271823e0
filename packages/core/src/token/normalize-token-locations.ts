import { TokenGuardConfigError } from '../errors.js';
import type { TokenGetter } from '../types.js';

// RFC 6265 §4.1.1: cookie-name is an RFC 9110 token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Why `getToken` may not be async; also logged when a plain function returns a Promise. */
export const SYNCHRONOUS_GET_TOKEN =
  'must return the token synchronously (a string, or undefined for none), not a Promise: read it from the request as it is, and do any async work in a middleware before the guard';

/** The token locations beyond RFC 6750 §2 (`cookie`, `getToken`), checked at construction. */
export function normalizeTokenLocations(raw: Record<string, unknown>): {
  readonly cookie?: string;
  readonly cookieOnUnsafeMethods?: boolean;
  readonly getToken?: TokenGetter;
} {
  const { cookie, cookieOnUnsafeMethods, getToken } = raw;
  if (cookie !== undefined && (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie))) {
    throw new TokenGuardConfigError('cookie', 'must be a cookie name (RFC 6265 §4.1.1)');
  }
  if (cookieOnUnsafeMethods !== undefined) {
    if (typeof cookieOnUnsafeMethods !== 'boolean') {
      throw new TokenGuardConfigError('cookieOnUnsafeMethods', 'must be a boolean');
    }
    if (cookie === undefined) {
      throw new TokenGuardConfigError('cookieOnUnsafeMethods', 'needs `cookie`');
    }
  }
  if (getToken !== undefined && typeof getToken !== 'function') {
    throw new TokenGuardConfigError('getToken', 'must be a function of the request');
  }
  // Extraction is synchronous (a cached verdict is answered in the same tick): an async
  // getToken would hand back a Promise on every request. Said here, not at the first request.
  if (typeof getToken === 'function' && getToken.constructor?.name === 'AsyncFunction') {
    throw new TokenGuardConfigError('getToken', SYNCHRONOUS_GET_TOKEN);
  }
  const locations: {
    cookie?: string;
    cookieOnUnsafeMethods?: boolean;
    getToken?: TokenGetter;
  } = {};
  if (cookie !== undefined) {
    locations.cookie = cookie;
    locations.cookieOnUnsafeMethods = cookieOnUnsafeMethods === true;
  }
  if (getToken !== undefined) locations.getToken = getToken as TokenGetter;
  return locations;
}
