/**
 * oidc-provider ships no type declarations and `@types/oidc-provider` is not installed; the
 * interop harness only needs this narrow surface (the provider is a Koa application).
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ProviderClientMetadata {
    readonly client_id: string;
    readonly client_secret?: string;
    readonly token_endpoint_auth_method?: string;
    readonly grant_types?: readonly string[];
    readonly response_types?: readonly string[];
    readonly redirect_uris?: readonly string[];
    readonly scope?: string;
    /** RFC 8705 §3.4: access tokens bound to the client's TLS certificate. */
    readonly tls_client_certificate_bound_access_tokens?: boolean;
  }

  /** The subset of a token model the configuration hooks read. */
  export interface ProviderToken {
    readonly kind: string;
    readonly clientId?: string;
    readonly jti: string;
  }

  export interface ProviderClient {
    readonly clientId: string;
  }

  export type ProviderContext = unknown;

  export interface ResourceServerInfo {
    readonly scope: string;
    readonly audience?: string;
    readonly accessTokenTTL?: number;
    readonly accessTokenFormat?: 'opaque' | 'jwt';
    readonly jwt?: { readonly sign?: { readonly alg?: string; readonly kid?: string } };
  }

  export interface ProviderConfiguration {
    readonly clients?: readonly ProviderClientMetadata[];
    readonly jwks?: { readonly keys: readonly Record<string, unknown>[] };
    readonly scopes?: readonly string[];
    readonly cookies?: { readonly keys?: readonly string[] };
    readonly features?: Record<string, unknown>;
    readonly ttl?: Record<
      string,
      number | ((ctx: ProviderContext, token: ProviderToken, client: ProviderClient) => number)
    >;
    readonly extraTokenClaims?: (
      ctx: ProviderContext,
      token: ProviderToken,
    ) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
    readonly [key: string]: unknown;
  }

  export const errors: {
    readonly InvalidTarget: new (description?: string) => Error;
  };

  export default class Provider {
    constructor(issuer: string, configuration?: ProviderConfiguration);
    readonly issuer: string;
    /** Koa's request listener, for `http.createServer`. */
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }
}
