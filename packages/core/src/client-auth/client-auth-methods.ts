/**
 * The client-authentication methods (RFC 7662 §2.1 leaves the method open), one entry each:
 * the option keys it accepts, how its options are normalised, how it authenticates a call,
 * and whether a 401 retry with fresh credentials can help. Adding a method is one entry
 * here plus its member of `ClientAuthentication`; the compiler checks both agree.
 */
import {
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
  UpstreamUnavailableError,
} from '../errors.js';
import type { HttpClient } from '../internal/http-client.js';
import { optionKeys } from '../options/option-keys.js';
import type {
  BearerTokenSource,
  ClientAuthentication,
  PrivateKeyJwtKey,
} from '../options/types.js';
import { isB64token } from '../token/is-b64token.js';
import {
  endpointUrl,
  hideSecrets,
  refreshSkew,
  resources,
  scopeString,
  signingKey,
  text,
} from './client-auth-fields.js';
import { createClientCredentialsSource } from './create-client-credentials-source.js';
import { type CredentialApplier, createCredentialApplier } from './create-credential-applier.js';

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

/** One method: its option keys, normaliser, authenticator and retry rule. */
export interface ClientAuthMethodEntry<M extends ClientAuthMethod> {
  /** Every option key of the method (`method` included), checked against its option type. */
  readonly keys: readonly string[];
  /** Checks the raw option (keys already checked) into the normalised form. */
  normalize(
    raw: Record<string, unknown>,
    path: string,
    allowInsecureHttp: boolean,
  ): NormalizedClientAuthOf<M>;
  /** Adds credentials to a call; `invalidate` drops what a 401 refused (cached tokens). */
  authenticate(
    auth: NormalizedClientAuthOf<M>,
    deps: ClientAuthenticatorDeps,
  ): { readonly apply: CredentialApplier; invalidate?(rejected: string | undefined): void };
  /** Whether a retry after a 401 to our credentials can succeed. */
  retryAfter401(auth: NormalizedClientAuthOf<M>): boolean;
}

type MethodTable = { readonly [M in ClientAuthMethod]: ClientAuthMethodEntry<M> };

/** The table: one entry per method. */
export const CLIENT_AUTH_METHODS: MethodTable = {
  bearer: {
    keys: optionKeys<Extract<ClientAuthentication, { method: 'bearer' }>>({
      method: true,
      token: true,
    }),
    normalize(raw, path) {
      const token = raw.token;
      if (typeof token === 'function') {
        return Object.freeze({ method: 'bearer', token: token as BearerTokenSource });
      }
      if (isB64token(token)) return hideSecrets({ method: 'bearer', token }, ['token']);
      throw new TokenGuardConfigError(
        `${path}.token`,
        'must be a non-empty bearer token (RFC 6750 §2.1 b64token syntax) or a function returning one',
      );
    },
    authenticate: (auth) => ({ apply: bearerApplier(auth.token) }),
    // A function may return a new token on the retry; a fixed string will not change.
    retryAfter401: (auth) => typeof auth.token === 'function',
  },
  client_secret_basic: {
    keys: optionKeys<Extract<ClientAuthentication, { method: 'client_secret_basic' }>>({
      method: true,
      clientId: true,
      clientSecret: true,
    }),
    normalize: (raw, path) =>
      hideSecrets({ method: 'client_secret_basic' as const, ...clientSecret(raw, path) }, [
        'clientSecret',
      ]),
    authenticate: (auth) => ({ apply: createCredentialApplier(auth) }),
    // A fixed secret: a retry would send the same credentials.
    retryAfter401: () => false,
  },
  client_secret_post: {
    keys: optionKeys<Extract<ClientAuthentication, { method: 'client_secret_post' }>>({
      method: true,
      clientId: true,
      clientSecret: true,
    }),
    normalize: (raw, path) =>
      hideSecrets({ method: 'client_secret_post' as const, ...clientSecret(raw, path) }, [
        'clientSecret',
      ]),
    authenticate: (auth) => ({ apply: createCredentialApplier(auth) }),
    retryAfter401: () => false,
  },
  private_key_jwt: {
    keys: optionKeys<Extract<ClientAuthentication, { method: 'private_key_jwt' }>>({
      method: true,
      clientId: true,
      privateKey: true,
      alg: true,
      kid: true,
    }),
    normalize: (raw, path) =>
      hideSecrets(
        {
          method: 'private_key_jwt',
          clientId: text(raw.clientId, `${path}.clientId`),
          ...signingKey(raw, path),
        },
        ['privateKey'],
      ),
    // Assertions are fresh on every call anyway: a retry would send the same proof.
    authenticate: (auth) => ({ apply: createCredentialApplier(auth) }),
    retryAfter401: () => false,
  },
  client_credentials: {
    keys: optionKeys<Extract<ClientAuthentication, { method: 'client_credentials' }>>({
      method: true,
      tokenEndpoint: true,
      clientId: true,
      scope: true,
      resource: true,
      refreshSkewSec: true,
      tokenEndpointAuthMethod: true,
      clientSecret: true,
      privateKey: true,
      alg: true,
      kid: true,
    }),
    normalize: normalizeClientCredentials,
    authenticate(auth, deps) {
      const source = createClientCredentialsSource(auth, deps);
      return {
        async apply(_endpoint, headers) {
          headers.authorization = await source.authorization();
        },
        invalidate: (rejected) => source.invalidate(rejected),
      };
    },
    // The token may have expired or been revoked early: a new one can succeed.
    retryAfter401: () => true,
  },
};

/** The method names, in the order error messages list them. */
export const CLIENT_AUTH_METHOD_NAMES = Object.freeze(
  Object.keys(CLIENT_AUTH_METHODS),
) as readonly ClientAuthMethod[];

const KEY_FIELDS = ['privateKey', 'alg', 'kid'] as const;

function normalizeClientCredentials(
  raw: Record<string, unknown>,
  path: string,
  allowInsecureHttp: boolean,
): NormalizedClientCredentials {
  const tokenEndpoint =
    raw.tokenEndpoint === undefined
      ? undefined
      : endpointUrl(raw.tokenEndpoint, `${path}.tokenEndpoint`, allowInsecureHttp);
  const clientId = text(raw.clientId, `${path}.clientId`);
  const authMethod = raw.tokenEndpointAuthMethod ?? 'client_secret_basic';
  if (
    authMethod !== 'client_secret_basic' &&
    authMethod !== 'client_secret_post' &&
    authMethod !== 'private_key_jwt'
  ) {
    throw new TokenGuardConfigError(
      `${path}.tokenEndpointAuthMethod`,
      "must be 'client_secret_basic', 'client_secret_post' or 'private_key_jwt'",
    );
  }
  let credential:
    | {
        readonly tokenEndpointAuthMethod: 'client_secret_basic' | 'client_secret_post';
        readonly clientSecret: string;
      }
    | ({ readonly tokenEndpointAuthMethod: 'private_key_jwt' } & NormalizedSigningKey);
  if (authMethod === 'private_key_jwt') {
    if (raw.clientSecret !== undefined) {
      throw new TokenGuardConfigError(
        `${path}.clientSecret`,
        "is not used with tokenEndpointAuthMethod 'private_key_jwt'",
      );
    }
    credential = { tokenEndpointAuthMethod: authMethod, ...signingKey(raw, path) };
  } else {
    for (const key of KEY_FIELDS) {
      if (raw[key] !== undefined) {
        throw new TokenGuardConfigError(
          `${path}.${key}`,
          "is only used with tokenEndpointAuthMethod 'private_key_jwt'",
        );
      }
    }
    credential = {
      tokenEndpointAuthMethod: authMethod,
      clientSecret: text(raw.clientSecret, `${path}.clientSecret`),
    };
  }
  const scope = raw.scope === undefined ? undefined : scopeString(raw.scope, `${path}.scope`);
  const resource =
    raw.resource === undefined ? undefined : resources(raw.resource, `${path}.resource`);
  return hideSecrets(
    {
      method: 'client_credentials',
      ...(tokenEndpoint === undefined ? {} : { tokenEndpoint }),
      clientId,
      ...credential,
      ...(scope === undefined ? {} : { scope }),
      ...(resource === undefined ? {} : { resource }),
      refreshSkewSec: refreshSkew(raw.refreshSkewSec, `${path}.refreshSkewSec`),
    },
    ['clientSecret', 'privateKey'],
  );
}

/** `clientId` and `clientSecret` of the secret methods. */
function clientSecret(
  raw: Record<string, unknown>,
  path: string,
): { readonly clientId: string; readonly clientSecret: string } {
  return {
    clientId: text(raw.clientId, `${path}.clientId`),
    clientSecret: text(raw.clientSecret, `${path}.clientSecret`),
  };
}

function bearerApplier(source: BearerTokenSource): CredentialApplier {
  if (typeof source === 'string') {
    const authorization = `Bearer ${source}`;
    return async (_endpoint, headers) => {
      headers.authorization = authorization;
    };
  }
  return async (_endpoint, headers) => {
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
  };
}
