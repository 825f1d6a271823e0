import { ASSERTION_ALGORITHMS, CLIENT_AUTH_METHODS } from './client-auth.js';
import type { ServerState } from './internal/state.js';

/**
 * The RFC 8414 authorization server metadata, also served as the OpenID discovery document.
 * `issuer` is the configured issuer, which may differ from the URL on purpose.
 */
export function buildMetadata(state: ServerState): Record<string, unknown> {
  return {
    issuer: state.issuer,
    authorization_endpoint: `${new URL(state.tokenEndpoint).origin}/oauth/authorize`,
    token_endpoint: state.tokenEndpoint,
    introspection_endpoint: state.introspectionEndpoint,
    revocation_endpoint: state.revocationEndpoint,
    jwks_uri: state.jwksUri,
    grant_types_supported: ['client_credentials'],
    response_types_supported: ['token'],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
    id_token_signing_alg_values_supported: state.keys.algorithms,
    subject_types_supported: ['public'],
  };
}
