/**
 * The three ways a client proves its identity on a form POST to the identity service:
 * `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1) and `private_key_jwt`
 * (RFC 7523 §2.2). Used for the introspection endpoint (RFC 7662 §2.1) and for the token
 * endpoint of the `client_credentials` grant.
 */
import type { PrivateKeyJwtKey } from '../options/types.js';
import { CLIENT_ASSERTION_TYPE, createAssertionSigner } from './create-assertion-signer.js';
import { clientSecretBasicHeader } from './form-url-encode.js';

/** Adds credentials to a form POST to `endpoint`: a header, form fields, or both. */
export type CredentialApplier = (
  endpoint: URL,
  headers: Record<string, string>,
  form: URLSearchParams,
) => Promise<void>;

/** The client-authentication methods that prove a client id (not a bearer token). */
export type ClientCredentialMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt';

export interface ClientCredentialFields extends Partial<PrivateKeyJwtKey> {
  readonly clientId: string;
  readonly clientSecret?: string;
}

/**
 * Builds the applier for one method. Secrets are read here, once: the Basic header is
 * precomputed, and the assertion signer imports its key on first use.
 */
export function createCredentialApplier(
  method: ClientCredentialMethod,
  fields: ClientCredentialFields,
): CredentialApplier {
  const { clientId, clientSecret } = fields;
  switch (method) {
    case 'client_secret_basic': {
      // RFC 6749 §2.3.1: each half form-encoded, then base64 — computed once.
      const authorization = clientSecretBasicHeader(clientId, String(clientSecret));
      return async (_endpoint, headers) => {
        headers.authorization = authorization;
      };
    }
    case 'client_secret_post': {
      const secret = String(clientSecret);
      return async (_endpoint, _headers, form) => {
        // RFC 6749 §2.3.1: credentials in the request body, as form parameters.
        form.set('client_id', clientId);
        form.set('client_secret', secret);
      };
    }
    case 'private_key_jwt': {
      const sign = createAssertionSigner({
        clientId,
        privateKey: fields.privateKey as PrivateKeyJwtKey['privateKey'],
        alg: fields.alg,
        kid: fields.kid,
      });
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
