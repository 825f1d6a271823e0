/**
 * The guard's own bearer token, obtained with the `client_credentials` grant (RFC 6749 §4.4),
 * cached until shortly before it expires and refreshed single-flight: however many
 * introspections are waiting, exactly one token request is in flight. A failed refresh is
 * not cached, so the next caller tries again.
 */
import type { HttpClient } from '../internal/http-client.js';
import { createSingleFlight } from '../internal/single-flight.js';
import type { NormalizedClientCredentials } from './client-auth-types.js';
import { createCredentialApplier } from './create-credential-applier.js';
import { fetchClientCredentialsToken } from './fetch-client-credentials-token.js';

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
  auth: NormalizedClientCredentials,
  deps: ClientCredentialsSourceDeps,
): ClientCredentialsSource {
  const authenticate = createCredentialApplier(
    auth.tokenEndpointAuthMethod === 'private_key_jwt'
      ? {
          method: 'private_key_jwt',
          clientId: auth.clientId,
          privateKey: auth.privateKey,
          alg: auth.alg,
          kid: auth.kid,
        }
      : {
          method: auth.tokenEndpointAuthMethod,
          clientId: auth.clientId,
          clientSecret: auth.clientSecret,
        },
  );
  const secrets = auth.tokenEndpointAuthMethod === 'private_key_jwt' ? [] : [auth.clientSecret];
  const scope = auth.scope;
  const resource = auth.resource;
  const skewMs = Math.max(0, auth.refreshSkewSec) * 1000;

  /** The `Authorization` value of the token last obtained (kept by `token` until it is due). */
  let current: string | undefined;
  // Kept until its refresh is due; a failure is not kept, so the next caller tries again.
  const token = createSingleFlight<IssuedToken>({
    keepValueMs: (issued) => issued.refreshAt - Date.now(),
  });

  async function refresh(): Promise<IssuedToken> {
    const endpoint = await deps.tokenEndpoint();
    // Count the lifetime from before the request: the server's clock started no later.
    const sentAt = Date.now();
    deps.onTokenRequest?.();
    const answer = await fetchClientCredentialsToken({
      http: deps.http,
      endpoint,
      scope,
      resource,
      authenticate,
      secrets,
    });
    const lifetimeMs = answer.expiresInSec * 1000;
    const authorization = `Bearer ${answer.accessToken}`;
    current = authorization;
    return { authorization, refreshAt: sentAt + lifetimeMs - Math.min(skewMs, lifetimeMs / 2) };
  }

  return {
    async authorization() {
      return (await token.run(refresh)).authorization;
    },
    invalidate(rejected) {
      if (rejected !== undefined && current !== undefined && rejected !== current) return;
      current = undefined;
      token.forget();
    },
  };
}

interface IssuedToken {
  readonly authorization: string;
  /** Epoch ms from which the token is refreshed rather than reused. */
  readonly refreshAt: number;
}
