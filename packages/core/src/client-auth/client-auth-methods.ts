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
import { optionKeys } from '../options/option-keys.js';
import type { BearerTokenSource, ClientAuthentication } from '../options/types.js';
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
import type {
  ClientAuthenticatorDeps,
  ClientAuthMethod,
  NormalizedClientAuthOf,
  NormalizedClientCredentials,
  NormalizedSigningKey,
} from './client-auth-types.js';
import { createClientCredentialsSource } from './create-client-credentials-source.js';
import { type CredentialApplier, createCredentialApplier } from './create-credential-applier.js';

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
