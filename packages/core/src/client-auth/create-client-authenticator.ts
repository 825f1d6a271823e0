/**
 * How the guard authenticates itself to the identity service: one object per guard, built
 * from the method's entry in `CLIENT_AUTH_METHODS`. It adds our credentials to each outgoing
 * introspection POST and is told when they were refused.
 */
import { ServerError } from '../errors.js';
import { CLIENT_AUTH_METHODS, type ClientAuthMethodEntry } from './client-auth-methods.js';
import type {
  ClientAuthenticator,
  ClientAuthenticatorDeps,
  ClientAuthMethod,
  NormalizedClientAuth,
  NormalizedClientAuthOf,
} from './client-auth-types.js';

export type { ClientAuthenticator, ClientAuthenticatorDeps } from './client-auth-types.js';

/**
 * Creates the authenticator for a normalised `ClientAuthentication` (see
 * `normalizeClientAuth`). Errors thrown by `apply` are request-path errors: an unusable key
 * or a refused `client_credentials` request is a `ServerError` (500), a token endpoint
 * outage an `UpstreamUnavailableError` (503). None carries a secret, assertion or token.
 *
 * @example
 * const auth = createClientAuthenticator(
 *   normalizeClientAuth(
 *     { method: 'client_credentials', clientId: 'rs', clientSecret: s, scope: 'introspect' },
 *     'introspection.clientAuth',
 *     { allowInsecureHttp: false },
 *   ),
 *   { http, tokenEndpoint: async () => new URL('https://id.example/oauth/token') },
 * );
 * await auth.apply(endpoint, headers, form); // headers.authorization = 'Bearer …'
 */
export function createClientAuthenticator(
  auth: NormalizedClientAuth,
  deps: ClientAuthenticatorDeps,
): ClientAuthenticator {
  // Unreachable for a normalised option; a hand-built one gets a clear 500.
  if (!Object.hasOwn(CLIENT_AUTH_METHODS, auth.method)) {
    throw new ServerError({ message: 'unknown client authentication method' });
  }
  return authenticatorFor(auth, deps);
}

function authenticatorFor<M extends ClientAuthMethod>(
  auth: NormalizedClientAuthOf<M> & { readonly method: M },
  deps: ClientAuthenticatorDeps,
): ClientAuthenticator {
  const entry: ClientAuthMethodEntry<M> = CLIENT_AUTH_METHODS[auth.method];
  const { apply, invalidate } = entry.authenticate(auth, deps);
  const retry = entry.retryAfter401(auth);
  return {
    apply,
    invalidate(rejectedHeaders) {
      invalidate?.(rejectedHeaders?.authorization);
      return retry;
    },
  };
}
