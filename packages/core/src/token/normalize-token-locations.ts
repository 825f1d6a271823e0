import { TokenGuardConfigError } from '../errors.js';
import { DEFAULTS } from '../options/defaults.js';
import { optionalBoolean, optionalInteger } from '../options/validators.js';
import type { TokenGetter } from '../types.js';
import { type ExtractionSettings, SYNCHRONOUS_GET_TOKEN } from './extract-bearer-token.js';

// RFC 6265 §4.1.1: cookie-name is an RFC 9110 token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** What the `token` option decides: every location of the token and the size limit. */
export type TokenLocations = Omit<ExtractionSettings, 'realm' | 'allowDpopScheme'>;

/**
 * The values of the `token` option (RFC 6750 §2 and beyond), checked at construction; its
 * keys are checked against the option type by the caller.
 */
export function normalizeTokenLocations(raw: Record<string, unknown>): TokenLocations {
  const { cookie, cookieOnUnsafeMethods, getToken } = raw;
  if (cookie !== undefined && (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie))) {
    throw new TokenGuardConfigError('token.cookie', 'must be a cookie name (RFC 6265 §4.1.1)');
  }
  optionalBoolean(cookieOnUnsafeMethods, 'token.cookieOnUnsafeMethods', false);
  if (cookieOnUnsafeMethods !== undefined && cookie === undefined) {
    throw new TokenGuardConfigError('token.cookieOnUnsafeMethods', 'needs `token.cookie`');
  }
  if (getToken !== undefined && typeof getToken !== 'function') {
    throw new TokenGuardConfigError('token.getToken', 'must be a function of the request');
  }
  // Extraction is synchronous (a cached verdict is answered in the same tick): an async
  // getToken would hand back a Promise on every request. Said here, not at the first request.
  if (typeof getToken === 'function' && getToken.constructor?.name === 'AsyncFunction') {
    throw new TokenGuardConfigError('token.getToken', SYNCHRONOUS_GET_TOKEN);
  }
  const locations: { -readonly [K in keyof TokenLocations]: TokenLocations[K] } = {
    allowBodyToken: optionalBoolean(raw.body, 'token.body', false),
    allowQueryToken: optionalBoolean(raw.query, 'token.query', false),
    maxHeaderBytes: optionalInteger(
      raw.maxHeaderBytes,
      'token.maxHeaderBytes',
      DEFAULTS.maxHeaderBytes,
      { min: 64, max: 1 << 20 },
    ),
  };
  if (cookie !== undefined) {
    locations.cookie = cookie;
    locations.cookieOnUnsafeMethods = cookieOnUnsafeMethods === true;
  }
  if (getToken !== undefined) locations.getToken = getToken as TokenGetter;
  return locations;
}
