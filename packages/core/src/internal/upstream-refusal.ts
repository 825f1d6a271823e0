/**
 * What an identity-service endpoint's refusal means, the same for introspection (RFC 7662
 * §2.3) and the token endpoint (RFC 6749 §5.2): 400/401/403 say the endpoint refused our
 * own request or credentials, which only the operator can fix (500); any other status is an
 * outage (503). Messages carry the status and at most the answer's OAuth `error` code.
 */
import { ServerError, UpstreamUnavailableError } from '../errors.js';
import { type HttpResponse, parseJsonObject } from './http-client.js';

/** RFC 6749 §5.2 error codes are short NQSCHAR strings; anything else is not shown. */
const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The RFC 6749 §5.2 `error` code of a JSON refusal answer, or undefined (no JSON object,
 * no code, or not code-shaped).
 *
 * @example
 * if (response.status === 400 && oauthErrorCode(response) === 'unsupported_token_type') …
 */
export function oauthErrorCode(response: HttpResponse): string | undefined {
  let error: unknown;
  try {
    error = parseJsonObject(response, 'oauth').error;
  } catch {
    return undefined;
  }
  return typeof error === 'string' && ERROR_CODE.test(error) ? error : undefined;
}

/**
 * The error for a non-200 answer of `purpose`'s endpoint. The `error` code is named only
 * when it neither echoes nor is part of anything in `sent` (our secrets, the token).
 *
 * @example
 * throw upstreamRefusal('token', 401, 'invalid_client', [clientSecret]);
 * // ServerError: token endpoint refused our client credentials or request (HTTP 401, error 'invalid_client')
 */
export function upstreamRefusal(
  purpose: string,
  status: number,
  code?: string,
  sent: readonly (string | null | undefined)[] = [],
): ServerError | UpstreamUnavailableError {
  if (status === 400 || status === 401 || status === 403) {
    const leaks = sent.some(
      (s) =>
        typeof s === 'string' &&
        s !== '' &&
        code !== undefined &&
        (code.includes(s) || s.includes(code)),
    );
    const shown = code === undefined || leaks ? '' : `, error '${code}'`;
    return new ServerError({
      message: `${purpose} endpoint refused our client credentials or request (HTTP ${status}${shown})`,
    });
  }
  return new UpstreamUnavailableError({ message: `${purpose} endpoint answered HTTP ${status}` });
}
