/**
 * The three ways a client proves its identity on a form POST to the identity service:
 * `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1) and `private_key_jwt`
 * (RFC 7523 §2.2). Used for the introspection endpoint (RFC 7662 §2.1) and for the token
 * endpoint of the `client_credentials` grant.
 */

import type { NormalizedClientCredential } from './client-auth-types.js';
import { CLIENT_ASSERTION_TYPE, createAssertionSigner } from './create-assertion-signer.js';
import { clientSecretBasicHeader } from './form-url-encode.js';

/** Adds credentials to a form POST to `endpoint`: a header, form fields, or both. */
export type CredentialApplier = (
  endpoint: URL,
  headers: Record<string, string>,
  form: URLSearchParams,
) => Promise<void>;

/**
 * Builds the applier for one method. Secrets are read here, once: the Basic header is
 * precomputed, and the assertion signer imports its key on first use.
 *
 * @example
 * const apply = createCredentialApplier({ method: 'client_secret_basic', clientId, clientSecret });
 * await apply(endpoint, headers, form); // headers.authorization = 'Basic …'
 */
export function createCredentialApplier(credential: NormalizedClientCredential): CredentialApplier {
  const { clientId } = credential;
  switch (credential.method) {
    case 'client_secret_basic': {
      // RFC 6749 §2.3.1: each half form-encoded, then base64 — computed once.
      const authorization = clientSecretBasicHeader(clientId, credential.clientSecret);
      return async (_endpoint, headers) => {
        headers.authorization = authorization;
      };
    }
    case 'client_secret_post': {
      const secret = credential.clientSecret;
      return async (_endpoint, _headers, form) => {
        // RFC 6749 §2.3.1: credentials in the request body, as form parameters.
        form.set('client_id', clientId);
        form.set('client_secret', secret);
      };
    }
    case 'private_key_jwt': {
      const sign = createAssertionSigner(credential);
      return async (endpoint, _headers, form) => {
        // RFC 7523 §2.2 / RFC 7521 §4.2: `client_id` is optional (the assertion's `sub`
        // names the client), so it is not sent; the audience is the endpoint being called.
        const assertion = await sign(endpoint);
        form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
        form.set('client_assertion', assertion);
      };
    }
  }
}
