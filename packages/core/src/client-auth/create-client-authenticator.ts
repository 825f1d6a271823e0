/**
 * How the guard authenticates itself to the identity service (RFC 7662 §2.1 leaves the
 * method open; we support the five the README lists). One object per guard: it adds our
 * credentials to each outgoing introspection POST and is told when they were refused.
 */
import { ServerError, TokenGuardError, UpstreamUnavailableError } from '../errors.js';
import type { HttpClient } from '../internal/http-client.js';
import type { BearerTokenSource, ClientAuthentication } from '../options/types.js';
import { isB64token } from '../token/is-b64token.js';
import { createClientCredentialsSource } from './create-client-credentials-source.js';
import { type CredentialApplier, createCredentialApplier } from './create-credential-applier.js';

/** Adds the guard's credentials to calls to the identity service. */
export interface ClientAuthenticator {
  /** Adds our credentials to an outgoing form POST to `endpoint` (headers and/or form fields). */
  apply(endpoint: URL, headers: Record<string, string>, form: URLSearchParams): Promise<void>;
  /**
   * The endpoint answered 401 to our credentials: drop any cached token. Returns true when a
   * retry with fresh credentials can help (`client_credentials`, a function bearer source).
   * Pass the headers the refused request was sent with: when many requests are refused at
   * once, a token already refreshed by one of them is then kept, not dropped again.
   */
  invalidate(rejectedHeaders?: Readonly<Record<string, string>>): boolean;
}

export interface ClientAuthenticatorDeps {
  /** HTTP client for the token endpoint (`client_credentials` only). */
  readonly http: HttpClient;
  /** The token endpoint: the explicit option or discovery's `token_endpoint`, resolved lazily. */
  readonly tokenEndpoint: () => Promise<URL>;
  /** Called once per token request sent (for counters). */
  readonly onTokenRequest?: () => void;
}

/**
 * Creates the authenticator for a normalised `ClientAuthentication` (see
 * `normalizeClientAuth`). Errors thrown by `apply` are request-path errors: an unusable key
 * or a refused `client_credentials` request is a `ServerError` (500), a token endpoint
 * outage an `UpstreamUnavailableError` (503). None carries a secret, assertion or token.
 *
 * @example
 * const auth = createClientAuthenticator(
 *   { method: 'client_credentials', clientId: 'rs', clientSecret: s, scope: 'introspect' },
 *   { http, tokenEndpoint: async () => new URL('https://id.example/oauth/token') },
 * );
 * await auth.apply(endpoint, headers, form); // headers.authorization = 'Bearer …'
 */
export function createClientAuthenticator(
  auth: ClientAuthentication,
  deps: ClientAuthenticatorDeps,
): ClientAuthenticator {
  switch (auth.method) {
    case 'bearer':
      return bearerAuthenticator(auth.token);
    case 'client_secret_basic':
    case 'client_secret_post':
    case 'private_key_jwt':
      return staticAuthenticator(createCredentialApplier(auth.method, auth));
    case 'client_credentials': {
      const source = createClientCredentialsSource(auth, deps);
      return {
        async apply(_endpoint, headers) {
          headers.authorization = await source.authorization();
        },
        invalidate(rejectedHeaders) {
          source.invalidate(rejectedHeaders?.authorization);
          return true;
        },
      };
    }
    default:
      // Unreachable for a normalised option; a hand-built one gets a clear 500.
      throw new ServerError({ message: 'unknown client authentication method' });
  }
}

/** Credentials that a retry cannot improve: basic, post, and assertions (fresh each call anyway). */
function staticAuthenticator(applier: CredentialApplier): ClientAuthenticator {
  return { apply: applier, invalidate: () => false };
}

function bearerAuthenticator(source: BearerTokenSource): ClientAuthenticator {
  if (typeof source === 'string') {
    const authorization = `Bearer ${source}`;
    return staticAuthenticator(async (_endpoint, headers) => {
      headers.authorization = authorization;
    });
  }
  return {
    async apply(_endpoint, headers) {
      // The user's function is called every time: caching is theirs to choose.
      let token: unknown;
      try {
        token = await source();
      } catch (cause) {
        if (cause instanceof TokenGuardError) throw cause;
        throw new UpstreamUnavailableError({ message: 'bearer token source failed', cause });
      }
      if (!isB64token(token)) {
        throw new ServerError({
          message: 'bearer token source returned a value that is not an RFC 6750 b64token',
        });
      }
      headers.authorization = `Bearer ${token}`;
    },
    // The function may return a new token on the retry.
    invalidate: () => true,
  };
}
