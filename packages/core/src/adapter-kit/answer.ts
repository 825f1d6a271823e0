/**
 * What an adapter writes for a refusal: status, headers and an already serialised body, so
 * each framework's write is one line and every framework sends the same bytes.
 */
import type { TokenGuardError } from '../errors.js';
import type { RequestLike } from '../types.js';

export interface Answer {
  readonly status: number;
  /** The challenge, `Cache-Control`, `Retry-After` and `content-type`. */
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The body an `onError` formatter chose, and its media type. */
export interface FormattedError {
  /** e.g. `application/problem+json`. */
  readonly contentType: string;
  /** A string is sent as is; anything else is sent as JSON. */
  readonly body: string | object;
}

/**
 * Formats refusals in the app's own style (RFC 9457 problem details, say). Only the body
 * and its media type are the app's: the status and headers (the RFC 6750 challenge,
 * `Cache-Control`, `Retry-After`) stay the guard's. A formatter that throws or returns
 * something else is logged and the default body is sent.
 *
 * @example
 * onError: (error) => ({
 *   contentType: 'application/problem+json',
 *   body: { type: 'about:blank', title: error.description, status: error.status },
 * })
 */
export type ErrorFormatter = (error: TokenGuardError, request: RequestLike) => FormattedError;

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The formatter's result when it is usable, else `undefined`. */
export function checkFormatted(value: unknown): FormattedError | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { contentType, body } = value as FormattedError;
  if (typeof contentType !== 'string' || contentType === '' || /[\r\n]/.test(contentType)) {
    return undefined;
  }
  return typeof body === 'string' || (typeof body === 'object' && body !== null)
    ? (value as FormattedError)
    : undefined;
}
