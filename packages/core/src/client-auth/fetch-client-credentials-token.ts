/**
 * One `client_credentials` token request (RFC 6749 §4.4.2) and the validation of its answer
 * (§5.1 success, §5.2 error). Status mapping, as for introspection (the README's error table):
 * 200 → a token; 400/401/403 → the endpoint refused our own credentials or request → 500
 * `ServerError`; anything else, a transport fault or garbage → 503 `UpstreamUnavailableError`.
 * No message ever carries the secret, the assertion or the token: at most the HTTP status
 * and the endpoint's `error` code.
 */
import { UpstreamUnavailableError } from '../errors.js';
import { type HttpClient, parseJsonObject } from '../internal/http-client.js';
import { oauthErrorCode, upstreamRefusal } from '../internal/upstream-refusal.js';
import { DEFAULTS } from '../options/defaults.js';
import { isB64token } from '../token/is-b64token.js';
import type { CredentialApplier } from './create-credential-applier.js';

export interface ClientCredentialsTokenRequest {
  readonly http: HttpClient;
  readonly endpoint: URL;
  /** RFC 6749 §3.3 scope, space-separated. */
  readonly scope?: string;
  /** RFC 8707 §2 `resource` indicators: one form parameter each. */
  readonly resource?: readonly string[];
  /** How we authenticate to the token endpoint. */
  readonly authenticate: CredentialApplier;
  /**
   * Our raw secrets (the client secret), never to be echoed into a message. What `authenticate`
   * adds (a Basic header, a form secret, an assertion) is screened as well.
   */
  readonly secrets?: readonly string[];
}

/** Registered access token types other than Bearer, lower-cased; only these are named in errors. */
const KNOWN_TOKEN_TYPES = ['dpop', 'n_a', 'pop', 'mac'] as const;

/** A validated token answer. */
export interface ClientCredentialsToken {
  /** The access token (RFC 6750 §2.1 b64token syntax, checked). Never log it. */
  readonly accessToken: string;
  /** Lifetime in seconds: the answer's `expires_in`, or 300 when absent. */
  readonly expiresInSec: number;
}

/** Sends one token request and validates the answer. */
export async function fetchClientCredentialsToken(
  request: ClientCredentialsTokenRequest,
): Promise<ClientCredentialsToken> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (request.scope !== undefined) form.set('scope', request.scope);
  for (const resource of request.resource ?? []) form.append('resource', resource);
  await request.authenticate(request.endpoint, headers, form);
  const sensitive = [
    ...(request.secrets ?? []),
    headers.authorization,
    form.get('client_secret'),
    form.get('client_assertion'),
  ];

  const response = await request.http.send({
    method: 'POST',
    url: request.endpoint,
    headers,
    body: form.toString(),
    purpose: 'token',
  });
  if (response.status !== 200) {
    throw upstreamRefusal('token', response.status, oauthErrorCode(response), sensitive);
  }
  let body: Record<string, unknown>;
  try {
    body = parseJsonObject(response, 'token');
  } catch (error) {
    // Drop the cause: a JSON SyntaxError quotes the body, and this body carries a token.
    throw new UpstreamUnavailableError({ message: (error as Error).message });
  }
  return parseTokenResponse(body);
}

/**
 * Validates an RFC 6749 §5.1 success answer: `access_token` a b64token string,
 * `token_type` `Bearer` (case-insensitive, §7.1), `expires_in` a positive number of seconds
 * (a decimal string is accepted too, as some servers send one; 300 when absent).
 * Anything else is an upstream fault (503), never echoed.
 */
function parseTokenResponse(body: Record<string, unknown>): ClientCredentialsToken {
  const accessToken = body.access_token;
  if (!isB64token(accessToken)) {
    throw garbage(
      accessToken === undefined
        ? 'no access_token'
        : 'an access_token that is not an RFC 6750 b64token',
    );
  }
  const tokenType = body.token_type;
  if (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer') {
    // Only a registered type is named (IANA "OAuth Access Token Types"): an arbitrary value
    // could be anything, the token itself included.
    const known = KNOWN_TOKEN_TYPES.find((t) => t === String(tokenType).toLowerCase());
    const shown = known === undefined ? 'an unexpected token_type' : `token_type '${known}'`;
    throw garbage(tokenType === undefined ? 'no token_type' : `${shown}, not Bearer`);
  }
  return { accessToken, expiresInSec: expiresIn(body.expires_in) };
}

function expiresIn(value: unknown): number {
  if (value === undefined) return DEFAULTS.tokenLifetimeSec;
  const seconds = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
    throw garbage('an expires_in that is not a positive number');
  }
  return seconds;
}

function garbage(what: string): UpstreamUnavailableError {
  return new UpstreamUnavailableError({ message: `token endpoint answered ${what}` });
}
