/**
 * Starts panva's oidc-provider (a certified authorization server nobody here wrote) on
 * loopback, configured the way a platform identity service would be for resource servers:
 * client_credentials clients, RFC 7662 introspection, RFC 7009 revocation, opaque access
 * tokens by default and RFC 9068 JWT access tokens for one resource indicator (RFC 8707).
 *
 * The issuer must contain the port, which is only known once the socket is bound, so the
 * HTTP server listens first and the provider is attached to it afterwards.
 */
import { generateKeyPair, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import Provider, {
  errors,
  type ProviderClient,
  type ProviderContext,
  type ProviderToken,
  type ResourceServerInfo,
} from 'oidc-provider';

const generateRsaKeyPair = promisify(generateKeyPair);

/** A client registered at the provider (secrets are random per run, never committed). */
export interface ProviderClientCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface StartOidcProviderOptions {
  /** Lifetime of ordinary client_credentials tokens, in seconds. Default 300. */
  readonly clientCredentialsTtlSec?: number;
  /** Lifetime of tokens issued to the `shortLived` client, in seconds. Default 2. */
  readonly shortTtlSec?: number;
}

export interface IssueTokenOptions {
  /** Which client asks; default the `acme` client. */
  readonly client?: ProviderClientCredentials;
  /** Space-separated scopes. */
  readonly scope?: string;
  /** RFC 8707 resource indicator: `jwtResource` yields an RFC 9068 JWT. */
  readonly resource?: string;
  /** RFC 9449 §5: a DPoP proof for the token request; the token is then bound to its key. */
  readonly dpopProof?: string;
  /**
   * RFC 8705 §3: the client's TLS certificate (PEM) for `mtlsClient`, handed to the
   * provider as a TLS-terminating proxy would (the provider itself listens on plain http).
   */
  readonly clientCertificate?: string;
}

/** The token endpoint's answer (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
  readonly scope?: string;
}

export interface StartedOidcProvider {
  /** Issuer identifier, `http://127.0.0.1:<port>` (no trailing slash). */
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly introspectionEndpoint: string;
  readonly revocationEndpoint: string;
  readonly jwksUri: string;
  /** Resource indicator whose access tokens are RS256 JWTs (`aud` = this URL). */
  readonly jwtResource: string;
  /** Resource indicator whose access tokens are opaque, with `aud` = this URL. */
  readonly opaqueResource: string;
  /** Every scope the resource servers know. */
  readonly scopes: readonly string[];
  /** The resource server's own client: no grants, allowed to introspect any token. */
  readonly resourceServer: ProviderClientCredentials;
  /** client_credentials client whose tokens carry `brand: "acme"`. */
  readonly acme: ProviderClientCredentials;
  /** client_credentials client whose tokens carry `brand: "globex"`. */
  readonly globex: ProviderClientCredentials;
  /** client_credentials client (brand `acme`) whose tokens live `shortTtlSec` seconds. */
  readonly shortLived: ProviderClientCredentials;
  /** client_credentials client whose tokens are bound to its TLS certificate (RFC 8705 §3). */
  readonly mtlsClient: ProviderClientCredentials;
  /** The brand each client's tokens carry (`extraTokenClaims`). */
  readonly brands: Readonly<Record<string, string>>;
  /** Obtains an access token with the client_credentials grant (client_secret_basic). */
  issueToken(options?: IssueTokenOptions): Promise<TokenResponse>;
  /** RFC 7009 revocation, authenticated as the client the token was issued to. */
  revoke(token: string, client: ProviderClientCredentials): Promise<void>;
  /** Errors the provider reported while handling requests (`server_error` events). */
  readonly serverErrors: readonly unknown[];
  close(): Promise<void>;
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before being joined and base64-encoded. */
export function basicAuthorization(client: ProviderClientCredentials): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  const pair = `${encode(client.clientId)}:${encode(client.clientSecret)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

function newClient(clientId: string): ProviderClientCredentials {
  return { clientId, clientSecret: randomBytes(32).toString('base64url') };
}

export async function startOidcProvider(
  options: StartOidcProviderOptions = {},
): Promise<StartedOidcProvider> {
  const clientCredentialsTtlSec = options.clientCredentialsTtlSec ?? 300;
  const shortTtlSec = options.shortTtlSec ?? 2;

  // Signing keys are generated per run (STYLE: keys are never committed).
  const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
  const signingJwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomUUID(),
    alg: 'RS256',
    use: 'sig',
  };

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const jwtResource = 'https://api.example.test/jwt';
  const opaqueResource = 'https://api.example.test/opaque';
  const scopes = ['read', 'write', 'admin'] as const;

  // The secret holds characters that RFC 6749 §2.3.1 form-encoding changes (`+`, `/`, `:`,
  // `%`, `&`, `=`, space), so a client that skips that encoding fails against this provider.
  const resourceServer = {
    clientId: 'resource-server',
    clientSecret: `${randomBytes(24).toString('base64url')}+/:%&= ~`,
  };
  const acme = newClient('acme-service');
  const globex = newClient('globex-service');
  const shortLived = newClient('acme-short-lived');
  const mtlsClient = newClient('acme-mtls');
  const brands: Record<string, string> = {
    [acme.clientId]: 'acme',
    [globex.clientId]: 'globex',
    [shortLived.clientId]: 'acme',
    [mtlsClient.clientId]: 'acme',
  };

  const ccClient = (client: ProviderClientCredentials) => ({
    client_id: client.clientId,
    client_secret: client.clientSecret,
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: scopes.join(' '),
  });

  const resourceServers: Record<string, ResourceServerInfo> = {
    [jwtResource]: {
      scope: scopes.join(' '),
      audience: jwtResource,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: 'RS256' } },
    },
    [opaqueResource]: {
      scope: scopes.join(' '),
      audience: opaqueResource,
      accessTokenFormat: 'opaque',
    },
  };

  const provider = new Provider(issuer, {
    clients: [
      {
        // A resource server only introspects: it may not obtain tokens itself.
        client_id: resourceServer.clientId,
        client_secret: resourceServer.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
      ccClient(acme),
      ccClient(globex),
      ccClient(shortLived),
      { ...ccClient(mtlsClient), tls_client_certificate_bound_access_tokens: true },
    ],
    jwks: { keys: [signingJwk] },
    // Registering the API scopes as provider scopes lets client_credentials without a
    // resource indicator carry them (otherwise only OpenID scopes survive filtering).
    scopes: ['openid', 'offline_access', ...scopes],
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 9449 (on by default in oidc-provider) and RFC 8705 §3 certificate binding; the
      // certificate arrives in a header, as from a TLS-terminating proxy.
      dPoP: { enabled: true },
      mTLS: {
        enabled: true,
        certificateBoundAccessTokens: true,
        // The Koa context of the token request (ProviderContext is opaque to our types).
        getCertificate: (ctx: ProviderContext) => {
          const value = (ctx as { get(name: string): string }).get('x-client-certificate');
          return value === '' ? undefined : decodeURIComponent(value);
        },
      },
      introspection: {
        enabled: true,
        // The resource server may introspect any token; a client only its own.
        allowedPolicy: async (
          _ctx: ProviderContext,
          client: ProviderClient,
          token: ProviderToken,
        ) => client.clientId === resourceServer.clientId || client.clientId === token.clientId,
      },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: only the client the token was issued to may revoke it.
        allowedPolicy: async (
          _ctx: ProviderContext,
          client: ProviderClient,
          token: ProviderToken,
        ) => client.clientId === token.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => undefined,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (_ctx: ProviderContext, resourceIndicator: string) => {
          const info = resourceServers[resourceIndicator];
          // RFC 8707 §2: an unknown resource is answered with invalid_target.
          if (info === undefined) throw new errors.InvalidTarget();
          return info;
        },
      },
    },
    ttl: {
      ClientCredentials: (_ctx: ProviderContext, token: ProviderToken) =>
        token.clientId === shortLived.clientId ? shortTtlSec : clientCredentialsTtlSec,
    },
    // The contract's `brand` claim, on opaque (introspection) and JWT tokens alike.
    extraTokenClaims: async (_ctx: ProviderContext, token: ProviderToken) => {
      const brand = token.clientId === undefined ? undefined : brands[token.clientId];
      return brand === undefined ? undefined : { brand };
    },
  });

  const serverErrors: unknown[] = [];
  provider.on('server_error', (_ctx: unknown, error: unknown) => {
    serverErrors.push(error);
  });
  server.on('request', provider.callback());

  const tokenEndpoint = `${issuer}/token`;
  const introspectionEndpoint = `${issuer}/token/introspection`;
  const revocationEndpoint = `${issuer}/token/revocation`;

  async function issueToken(request: IssueTokenOptions = {}): Promise<TokenResponse> {
    const client = request.client ?? acme;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (request.scope !== undefined) form.set('scope', request.scope);
    if (request.resource !== undefined) form.set('resource', request.resource);
    const response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(client),
        'content-type': 'application/x-www-form-urlencoded',
        ...(request.dpopProof === undefined ? {} : { dpop: request.dpopProof }),
        ...(request.clientCertificate === undefined
          ? {}
          : { 'x-client-certificate': encodeURIComponent(request.clientCertificate) }),
      },
      body: form,
    });
    const body = (await response.json()) as TokenResponse & { error?: string };
    if (response.status !== 200) {
      throw new Error(`token endpoint answered ${response.status} ${body.error ?? ''}`);
    }
    return body;
  }

  async function revoke(token: string, client: ProviderClientCredentials): Promise<void> {
    const response = await fetch(revocationEndpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(client),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    await response.arrayBuffer();
    if (response.status !== 200) {
      throw new Error(`revocation endpoint answered ${response.status}`);
    }
  }

  return {
    issuer,
    tokenEndpoint,
    introspectionEndpoint,
    revocationEndpoint,
    jwksUri: `${issuer}/jwks`,
    jwtResource,
    opaqueResource,
    scopes,
    resourceServer,
    acme,
    globex,
    shortLived,
    brands,
    mtlsClient,
    issueToken,
    revoke,
    serverErrors,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets from fetch/undici would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
