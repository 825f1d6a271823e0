/**
 * An independent model of RFC 6750 §2 token extraction, written from the spec and the README
 * (not from the implementation), used as the oracle of the extraction properties:
 *
 * - more than one Authorization field, or a token in more than one place → 400 (§2, "MUST NOT
 *   use more than one method");
 * - an Authorization value longer than the limit → 400 (README: "over-long header: 400");
 * - `credentials = auth-scheme [ 1*SP token68 ]` (RFC 9110 §11.4): a scheme other than Bearer
 *   (case-insensitive, §11.1) is no bearer token at all → 401 without an error code (§3.1);
 * - `Bearer` with a missing or non-b64token credential (§2.1) → 400 invalid_request;
 * - query (§2.3) and form body (§2.2, form content type, not GET/HEAD) only when enabled, with
 *   the same syntax and length rules; a repeated `access_token` → 400;
 * - one well-formed token: 200 if the identity service minted it and it is active, else 401
 *   invalid_token.
 */
export interface ModelSettings {
  readonly allowQueryToken: boolean;
  readonly allowBodyToken: boolean;
  readonly maxHeaderBytes: number;
}

/** A request as a Node server hands it over: field values already OWS-trimmed, latin1. */
export interface ModelRequest {
  readonly method: string;
  readonly url: string;
  /** Every Authorization field, in order. */
  readonly authorization: readonly string[];
  readonly contentType?: string;
  /** The raw urlencoded string, or the object a body parser made of it. */
  readonly body?: unknown;
}

export type Outcome =
  | { readonly status: 200; readonly token: string }
  | { readonly status: 400; readonly code: 'invalid_request' }
  | { readonly status: 401; readonly code: 'missing_token' | 'invalid_token' };

const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MALFORMED = Symbol('malformed');
type Found = string | undefined | typeof MALFORMED;

export function expectedOutcome(
  request: ModelRequest,
  settings: ModelSettings,
  isActive: (token: string) => boolean,
): Outcome {
  const places: Found[] = [fromHeader(request.authorization, settings.maxHeaderBytes)];
  if (settings.allowQueryToken) places.push(fromQuery(request.url, settings.maxHeaderBytes));
  if (settings.allowBodyToken) places.push(fromBody(request, settings.maxHeaderBytes));
  if (places.includes(MALFORMED)) return { status: 400, code: 'invalid_request' };
  const tokens = places.filter((p): p is string => typeof p === 'string');
  if (tokens.length > 1) return { status: 400, code: 'invalid_request' };
  const [token] = tokens;
  if (token === undefined) return { status: 401, code: 'missing_token' };
  return isActive(token) ? { status: 200, token } : { status: 401, code: 'invalid_token' };
}

function syntax(token: string, max: number): Found {
  return token.length <= max && B64TOKEN.test(token) ? token : MALFORMED;
}

function fromHeader(values: readonly string[], max: number): Found {
  if (values.length > 1) return MALFORMED;
  const [value] = values;
  if (value === undefined) return undefined;
  if (value.length > max) return MALFORMED;
  const match = /^([^ ]*)(?: +(.*))?$/s.exec(value) as RegExpExecArray;
  const [, scheme = '', rest = ''] = match;
  if (scheme.toLowerCase() !== 'bearer') return undefined;
  return rest === '' ? MALFORMED : syntax(rest, max);
}

function fromParams(params: URLSearchParams, max: number): Found {
  const values = params.getAll('access_token');
  if (values.length === 0) return undefined;
  if (values.length > 1) return MALFORMED;
  return syntax(values[0] as string, max);
}

function fromQuery(url: string, max: number): Found {
  const at = url.indexOf('?');
  return at === -1 ? undefined : fromParams(new URLSearchParams(url.slice(at + 1)), max);
}

function fromBody(request: ModelRequest, max: number): Found {
  const method = request.method.toUpperCase();
  if (method === 'GET' || method === 'HEAD') return undefined;
  const mediaType = (request.contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') return undefined;
  const { body } = request;
  if (typeof body === 'string') return fromParams(new URLSearchParams(body), max);
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>).access_token;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? syntax(value, max) : MALFORMED;
}
