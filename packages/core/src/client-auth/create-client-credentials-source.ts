/**
 * The guard's own bearer token, obtained with the `client_credentials` grant (RFC 6749 §4.4),
 * cached until shortly before it expires and refreshed single-flight: however many
 * introspections are waiting, exactly one token request is in flight. A failed refresh is
 * not cached, so the next caller tries again.
 */
import type { HttpClient } from '../internal/http-client.js';
import type { ClientCredentialsAuthentication } from '../options/types.js';
import { createCredentialApplier } from './create-credential-applier.js';
import { fetchClientCredentialsToken } from './fetch-client-credentials-token.js';

/** Seconds before `expires_in` at which the token is refreshed, when not configured. */
export const DEFAULT_REFRESH_SKEW_SEC = 30;

export interface ClientCredentialsSourceDeps {
  readonly http: HttpClient;
  /** The token endpoint: the explicit option or discovery's `token_endpoint`, resolved lazily. */
  readonly tokenEndpoint: () => Promise<URL>;
  /** Called once per token request sent (for counters). */
  readonly onTokenRequest?: () => void;
}

export interface ClientCredentialsSource {
  /** `Bearer <token>` for the `Authorization` header: cached, or fetched single-flight. */
  authorization(): Promise<string>;
  /**
   * Drops the cached token, unless `rejected` (the `Authorization` value the refused request
   * carried) shows that a concurrent caller has already replaced it.
   */
  invalidate(rejected?: string): void;
}

/**
 * Creates the token source. The token is reused until `expires_in − refreshSkewSec`, counted
 * from when the request was sent; when the lifetime is shorter than twice the skew, it is
 * refreshed at half its life instead (so a short-lived token is still reused, never
 * fetched per request).
 */
export function createClientCredentialsSource(
  auth: ClientCredentialsAuthentication,
  deps: ClientCredentialsSourceDeps,
): ClientCredentialsSource {
  const fields = auth as ClientCredentialsAuthentication & {
    clientSecret?: string;
    privateKey?: unknown;
    alg?: string;
    kid?: string;
  };
  const authenticate = createCredentialApplier(
    auth.tokenEndpointAuthMethod ?? 'client_secret_basic',
    {
      clientId: auth.clientId,
      clientSecret: fields.clientSecret,
      privateKey: fields.privateKey as never,
      alg: fields.alg,
      kid: fields.kid,
    },
  );
  const secrets = fields.clientSecret === undefined ? [] : [fields.clientSecret];
  const scope = auth.scope;
  const resource =
    auth.resource === undefined
      ? undefined
      : typeof auth.resource === 'string'
        ? [auth.resource]
        : [...auth.resource];
  const skewMs = Math.max(0, auth.refreshSkewSec ?? DEFAULT_REFRESH_SKEW_SEC) * 1000;

  let current: { readonly authorization: string; readonly refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  async function refresh(): Promise<string> {
    const endpoint = await deps.tokenEndpoint();
    // Count the lifetime from before the request: the server's clock started no later.
    const sentAt = Date.now();
    deps.onTokenRequest?.();
    const token = await fetchClientCredentialsToken({
      http: deps.http,
      endpoint,
      scope,
      resource,
      authenticate,
      secrets,
    });
    const lifetimeMs = token.expiresInSec * 1000;
    const authorization = `Bearer ${token.accessToken}`;
    current = { authorization, refreshAt: sentAt + lifetimeMs - Math.min(skewMs, lifetimeMs / 2) };
    return authorization;
  }

  return {
    authorization() {
      if (current !== undefined && Date.now() < current.refreshAt)
        return Promise.resolve(current.authorization);
      if (inflight === undefined) {
        const request = refresh();
        inflight = request;
        // Settled either way, the next caller decides afresh: a failure is not cached.
        const settle = () => {
          if (inflight === request) inflight = undefined;
        };
        request.then(settle, settle);
      }
      return inflight;
    },
    invalidate(rejected) {
      if (rejected !== undefined && current !== undefined && rejected !== current.authorization)
        return;
      current = undefined;
    },
  };
}
