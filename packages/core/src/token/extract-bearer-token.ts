/**
 * Finds the one bearer token of a request (RFC 6750 §2). Returns `undefined` when the
 * request carries none; throws `InvalidRequestError` (400) when it is malformed, too long,
 * or carries a token in more than one place (RFC 6750 §2: "MUST NOT use more than one method").
 */
import { InvalidRequestError, ServerError, TokenGuardError } from '../errors.js';
import type { RequestLike, TokenGetter } from '../types.js';
import { isB64token } from './is-b64token.js';
import { isCookieIgnored, tokenFromCookie } from './token-from-cookie.js';

/** Why `getToken` may not be async; also logged when a plain function returns a Promise. */
export const SYNCHRONOUS_GET_TOKEN =
  'must return the token synchronously (a string, or undefined for none), not a Promise: read it from the request as it is, and do any async work in a middleware before the guard';

export interface ExtractionSettings {
  readonly allowQueryToken: boolean;
  readonly allowBodyToken: boolean;
  /** RFC 9449 §7.1: accept `Authorization: DPoP <token>` too (`dpop` not disabled). */
  readonly allowDpopScheme?: boolean;
  /** Longest accepted Authorization header (and token elsewhere), in bytes. */
  readonly maxHeaderBytes: number;
  /** The realm of the challenge a refusal carries (RFC 6750 §3). Default `api`. */
  readonly realm?: string;
  /** The name of a cookie that may carry the token. Default: none. */
  readonly cookie?: string;
  /** Read the cookie on unsafe methods too (the application handles CSRF). Default false. */
  readonly cookieOnUnsafeMethods?: boolean;
  /** The application's own token location. Default: none. */
  readonly getToken?: TokenGetter;
}

/** The limits and realm every token check needs. */
type SyntaxSettings = Pick<ExtractionSettings, 'maxHeaderBytes' | 'realm'>;

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export function extractBearerToken(
  request: RequestLike,
  settings: ExtractionSettings,
): string | undefined {
  const fromHeader = tokenFromAuthorizationHeader(request, settings);
  const fromQuery = settings.allowQueryToken ? tokenFromQuery(request.url, settings) : undefined;
  const fromBody = settings.allowBodyToken ? tokenFromBody(request, settings) : undefined;
  const fromCookie =
    settings.cookie === undefined
      ? undefined
      : tokenFromCookie(
          request,
          settings.cookie,
          settings.cookieOnUnsafeMethods === true,
          settings.realm,
        );
  const fromApp = settings.getToken === undefined ? undefined : tokenFromApp(request, settings);

  const places =
    +(fromHeader !== undefined) +
    +(fromQuery !== undefined) +
    +(fromBody !== undefined) +
    +(fromCookie !== undefined) +
    +(fromApp !== undefined);
  if (places > 1) {
    throw new InvalidRequestError('The request carries more than one access token', {
      realm: settings.realm,
    });
  }
  const token = fromHeader ?? fromQuery ?? fromBody ?? fromCookie ?? fromApp;
  // Tokens from a cookie or the application obey the header's rules (RFC 6750 §2.1 syntax,
  // the same length bound); the header's own were checked on the way.
  return token === fromHeader || token === undefined ? token : checkTokenSyntax(token, settings);
}

/**
 * Why a request without a token carries none: `cookie_ignored` when its token cookie was
 * left unread because the method is unsafe (CSRF, RFC 9110 §9.2.1), else `token_missing`.
 * Only asked once no token was found, so it costs nothing on the common path.
 */
export function missingTokenReason(
  request: RequestLike,
  settings: ExtractionSettings,
): 'cookie_ignored' | 'token_missing' {
  return settings.cookie !== undefined &&
    settings.cookieOnUnsafeMethods !== true &&
    isCookieIgnored(request, settings.cookie)
    ? 'cookie_ignored'
    : 'token_missing';
}

/**
 * The application's `getToken(request)`: a string, or `undefined`/`null`/`''` for none. A
 * tokenguard error it throws (say a 400 of its own) is answered as such; anything else it
 * throws or returns is a bug in the application, answered 500 (fail closed).
 */
function tokenFromApp(request: RequestLike, settings: ExtractionSettings): string | undefined {
  let value: unknown;
  try {
    value = (settings.getToken as TokenGetter)(request);
  } catch (error) {
    if (error instanceof TokenGuardError) throw error;
    throw new ServerError({ message: 'getToken threw', cause: error, realm: settings.realm });
  }
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof (value as { then?: unknown }).then === 'function') {
    // Not awaited, so a rejection must not become an unhandled one.
    (value as Promise<unknown>).then(undefined, () => {});
    throw new ServerError({
      message: `option \`token.getToken\` returned a Promise: it ${SYNCHRONOUS_GET_TOKEN}`,
      realm: settings.realm,
    });
  }
  if (typeof value !== 'string') {
    throw new ServerError({
      message: 'getToken returned neither a string nor undefined',
      realm: settings.realm,
    });
  }
  return value;
}

/**
 * Validates a token taken from anywhere: same syntax and size rules as the header.
 *
 * @example
 * await guard.verify(checkTokenSyntax(token, { maxHeaderBytes: 8192, realm: 'api' }));
 */
export function checkTokenSyntax(token: string, settings: SyntaxSettings): string {
  if (token.length > settings.maxHeaderBytes) {
    throw new InvalidRequestError('The access token is too long', { realm: settings.realm });
  }
  if (!isB64token(token)) {
    throw new InvalidRequestError('The access token is malformed', { realm: settings.realm });
  }
  return token;
}

function tokenFromAuthorizationHeader(
  request: RequestLike,
  settings: ExtractionSettings,
): string | undefined {
  const header = singleAuthorizationHeader(request, settings.realm);
  if (header === undefined) return undefined;
  if (header.length > settings.maxHeaderBytes) {
    throw new InvalidRequestError('The Authorization header is too long', {
      realm: settings.realm,
    });
  }
  // RFC 9110 §11.1: the auth-scheme is case-insensitive. Another scheme means the request
  // carries no bearer credentials at all (answered 401, not 400).
  const space = header.indexOf(' ');
  const schemeEnd = space === -1 ? header.length : space;
  if (
    !startsWithScheme(header, schemeEnd, 'bearer') &&
    !(settings.allowDpopScheme === true && startsWithScheme(header, schemeEnd, 'dpop'))
  )
    return undefined;
  // RFC 6750 §2.1: "Bearer" 1*SP b64token — exactly one credential after the scheme.
  // We accept runs of spaces between them (1*SP) but nothing after the token.
  let start = schemeEnd;
  while (start < header.length && header.charCodeAt(start) === 0x20) start++;
  const credentials = header.slice(start);
  if (credentials === '')
    throw new InvalidRequestError('The bearer token is missing', { realm: settings.realm });
  return checkTokenSyntax(credentials, settings);
}

/**
 * Whether `header` up to `end` is `lowerName` (an auth-scheme, RFC 9110 §11.1, or a field
 * name, §5.1), compared case-insensitively without building a lower-cased copy per request.
 */
function startsWithScheme(header: string, end: number, lowerName: string): boolean {
  if (end !== lowerName.length) return false;
  for (let i = 0; i < end; i++) {
    const code = header.charCodeAt(i);
    // ASCII letters only: `| 0x20` lower-cases A-Z and leaves a-z as they are.
    const lower = code >= 0x41 && code <= 0x5a ? code | 0x20 : code;
    if (lower !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

function singleAuthorizationHeader(
  request: RequestLike,
  realm: string | undefined,
): string | undefined {
  // Node drops a second Authorization header from `headers`; count the raw list instead.
  const raw = request.rawHeaders;
  if (raw !== undefined) {
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i];
      if (name !== undefined && startsWithScheme(name, name.length, 'authorization')) {
        count++;
      }
    }
    if (count > 1)
      throw new InvalidRequestError('The request has more than one Authorization header', {
        realm,
      });
  }
  const value = request.headers.authorization;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length > 1) {
      throw new InvalidRequestError('The request has more than one Authorization header', {
        realm,
      });
    }
    return value[0];
  }
  if (request.combinedHeaders === true && JOINED_BEARER.test(value)) {
    throw new InvalidRequestError('The request has more than one Authorization header', { realm });
  }
  return value;
}

/**
 * Fetch `Headers` joined several Authorization fields with ", ". Authorization holds one
 * credentials value (RFC 9110 §11.6.2) and a Bearer credential never contains a comma
 * (b64token, RFC 6750 §2.1): a value that starts with Bearer and has a comma, or has a
 * Bearer credential after a comma, carries more than one. Other schemes' own commas
 * (`Digest a="1", b="2"`) are left alone, as with Node's headers.
 */
const JOINED_BEARER = /^[ \t]*bearer(?:[ \t][^,]*)?,|,[ \t]*bearer(?:[ \t]|,|$)/i;

function tokenFromQuery(url: string, settings: ExtractionSettings): string | undefined {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return undefined;
  return singleParameter(new URLSearchParams(url.slice(queryStart + 1)), settings);
}

function tokenFromBody(request: RequestLike, settings: ExtractionSettings): string | undefined {
  // RFC 6750 §2.2: only a form-encoded body, and never with GET (no body semantics).
  if (request.method.toUpperCase() === 'GET' || request.method.toUpperCase() === 'HEAD') {
    return undefined;
  }
  const contentType = request.headers['content-type'];
  const mediaType = typeof contentType === 'string' ? contentType.split(';')[0]?.trim() : '';
  if (mediaType?.toLowerCase() !== FORM_CONTENT_TYPE) return undefined;
  const body = request.body;
  if (typeof body === 'string') return singleParameter(new URLSearchParams(body), settings);
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>).access_token;
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidRequestError('The request carries more than one access token', {
      realm: settings.realm,
    });
  }
  return checkTokenSyntax(value, settings);
}

function singleParameter(
  params: URLSearchParams,
  settings: ExtractionSettings,
): string | undefined {
  const values = params.getAll('access_token');
  if (values.length === 0) return undefined;
  if (values.length > 1) {
    throw new InvalidRequestError('The request carries more than one access token', {
      realm: settings.realm,
    });
  }
  return checkTokenSyntax(values[0] as string, settings);
}

/**
 * The scheme of the request's Authorization header, `DPoP` or `Bearer` (the token may
 * also come from the body or query: that is Bearer, RFC 6750 §2.2–2.3). Called only
 * after extraction found a token, so the header is known to be well-formed.
 */
export function presentedScheme(request: RequestLike): 'Bearer' | 'DPoP' {
  const header = request.headers.authorization;
  const value = typeof header === 'string' ? header : header?.[0];
  return value !== undefined && /^dpop /i.test(value) ? 'DPoP' : 'Bearer';
}
