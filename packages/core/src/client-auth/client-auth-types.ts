/**
 * The types of client authentication after normalisation, apart from the method table that
 * builds them, so the parts each method is made of (fields, credential applier, token
 * source) read them without importing the table.
 */
import type { HttpClient } from '../internal/http-client.js';
import type { ClientAuthentication, PrivateKeyJwtKey } from '../options/types.js';

/** A method name, as `ClientAuthentication['method']`. */
export type ClientAuthMethod = ClientAuthentication['method'];

/**
 * A `private_key_jwt` key: after normalisation a `KeyObject` (or the given `CryptoKey`)
 * with its algorithm; the assertion signer checks it again on first use, so a key that
 * skipped normalisation still fails closed (a 500, naming no key material).
 */
export type NormalizedSigningKey = PrivateKeyJwtKey;

/**
 * How a client proves its id on a form POST: a secret (Basic or form) or an assertion.
 * Normalisation keeps these options' shape (it checks values and converts the key).
 */
export type NormalizedClientCredential = Extract<
  ClientAuthentication,
  { method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' }
>;

/** `client_credentials` after normalisation: every default applied, every value checked. */
export type NormalizedClientCredentials = {
  readonly method: 'client_credentials';
  /** Absolute URL (href); undefined: discovery's `token_endpoint`. */
  readonly tokenEndpoint?: string;
  readonly clientId: string;
  readonly scope?: string;
  readonly resource?: readonly string[];
  readonly refreshSkewSec: number;
} & (
  | {
      readonly tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
      readonly clientSecret: string;
    }
  | ({ readonly tokenEndpointAuthMethod: 'private_key_jwt' } & NormalizedSigningKey)
);

/**
 * `introspection.clientAuth` after normalisation (secrets non-enumerable, object frozen):
 * the option's own shape, except `client_credentials`, whose defaults are applied.
 */
export type NormalizedClientAuth =
  | Exclude<ClientAuthentication, { method: 'client_credentials' }>
  | NormalizedClientCredentials;

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

/** The normalised option of one method. */
export type NormalizedClientAuthOf<M extends ClientAuthMethod> = Extract<
  NormalizedClientAuth,
  { method: M }
>;
