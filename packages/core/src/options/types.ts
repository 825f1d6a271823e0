/**
 * The options of `createGuard`. Illegal combinations are unrepresentable where the type
 * system allows it (a key source is a JWKS URI or static keys, never both); the rest is
 * checked once, at construction, by `normalizeOptions`.
 */
import type { Dispatcher } from 'undici';
import type { CacheStore } from '../cache/cache-store.js';
import type {
  AuthContextRequirement,
  BrandRequirement,
  ClaimsPredicate,
  RequestLike,
  TokenGetter,
  TokenGuardLogger,
} from '../types.js';

/**
 * A bearer token of our own for calling the identity service: static or fetched.
 *
 * @example
 * const token: BearerTokenSource = async () => (await vault.read('introspection-token')).value;
 */
export type BearerTokenSource = string | (() => string | Promise<string>);

/**
 * RFC 7523 private key for `private_key_jwt` client assertions.
 *
 * @example
 * const key: PrivateKeyJwtKey = { privateKey: readFileSync('client-key.pem', 'utf8'), kid: 'k1' };
 */
export interface PrivateKeyJwtKey {
  /** PKCS#8 PEM string, a private JWK object, or a `KeyObject`/`CryptoKey`. */
  readonly privateKey:
    | string
    | Record<string, unknown>
    | import('node:crypto').KeyObject
    | import('node:crypto').webcrypto.CryptoKey;
  /**
   * JWS algorithm, e.g. `RS256`, `ES256`, `EdDSA`. Default: inferred from the key (RS256 for
   * RSA, ES256/384/512 from the EC curve, EdDSA for Ed25519, or the JWK's own `alg`).
   * PKCS#8, PKCS#1 and SEC1 PEM are accepted; RSA keys under 2048 bits are refused.
   */
  readonly alg?: string;
  /** `kid` header of the assertion. */
  readonly kid?: string;
}

/**
 * How the guard authenticates itself to the introspection endpoint (RFC 7662 §2.1).
 * The identity service's introspection contract uses `bearer` in its example.
 *
 * @example
 * const clientAuth: ClientAuthentication = {
 *   method: 'client_credentials',
 *   clientId: 'orders-api',
 *   clientSecret: process.env.CLIENT_SECRET!,
 *   scope: 'introspect',
 * };
 */
export type ClientAuthentication =
  | { readonly method: 'bearer'; readonly token: BearerTokenSource }
  | {
      readonly method: 'client_secret_basic';
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | {
      readonly method: 'client_secret_post';
      readonly clientId: string;
      readonly clientSecret: string;
    }
  | ({ readonly method: 'private_key_jwt'; readonly clientId: string } & PrivateKeyJwtKey)
  | ClientCredentialsAuthentication;

/**
 * The guard obtains its own bearer token with the `client_credentials` grant
 * (RFC 6749 §4.4), caches it until shortly before expiry and refreshes it single-flight.
 */
export type ClientCredentialsAuthentication = {
  readonly method: 'client_credentials';
  /** Token endpoint; default: discovery's `token_endpoint`. */
  readonly tokenEndpoint?: string;
  readonly clientId: string;
  readonly scope?: string;
  readonly resource?: string | readonly string[];
  /** Seconds before `expires_in` at which the token is refreshed. Default 30. */
  readonly refreshSkewSec?: number;
} & (
  | {
      readonly tokenEndpointAuthMethod?: 'client_secret_basic' | 'client_secret_post';
      readonly clientSecret: string;
    }
  | ({ readonly tokenEndpointAuthMethod: 'private_key_jwt' } & PrivateKeyJwtKey)
);

/**
 * RFC 7662 token introspection: where, how we authenticate, and the bounds of each call.
 *
 * @example
 * const introspection: IntrospectionOptions = {
 *   endpoint: 'https://identity.example/v1/oauth/introspect',
 *   clientAuth: { method: 'bearer', token: process.env.INTROSPECTION_TOKEN! },
 *   timeoutMs: 2000,
 * };
 */
export interface IntrospectionOptions {
  /** RFC 7662 endpoint, e.g. `https://identity.example/v1/oauth/introspect`. Default: from discovery. */
  readonly endpoint?: string;
  /** How we authenticate to the endpoint. */
  readonly clientAuth?: ClientAuthentication;
  /**
   * The deadline and body bound of the introspection endpoint and of the token endpoint of
   * `clientAuth`. Default: the guard's `http`.
   */
  readonly http?: EndpointHttpOptions;
  /** Most upstream calls in flight at once; extra requests wait (see `queueTimeoutMs`). Default 256. */
  readonly maxConcurrent?: number;
  /** How long a request waits for an upstream slot before a 503, in milliseconds. Default 1000. */
  readonly queueTimeoutMs?: number;
  /**
   * Circuit breaker: it opens when this many distinct tokens, among the last twice this many,
   * met an upstream fault (one token counts once, so no single token can open it); while open,
   * every introspection is answered 503 without a call. Default 20; 0 disables it.
   */
  readonly breakerThreshold?: number;
  /** Circuit breaker: how long it stays open before one probe, in milliseconds. Default 5000. */
  readonly breakerCooldownMs?: number;
  /**
   * RFC 7662 §2.2: an answer that carries `aud` must name one of these, else the token is
   * refused (`audience_mismatch`). Default: `jwt.audience` when set, else the
   * `resourceMetadata.resource` URL when set (RFC 8707); otherwise not checked.
   */
  readonly audience?: string | readonly string[];
  /**
   * Also refuse answers that carry no `aud` claim at all (needs `audience`); without it an
   * answer without `aud` passes and only a present `aud` is checked. Default: true when the
   * audience is the `resourceMetadata.resource` URL, else false.
   */
  readonly requireAudClaim?: boolean;
}

/**
 * How the guard sends every outbound call: introspection, discovery, JWKS and the token
 * endpoint. By default undici's keep-alive pool where undici can dispatch (Node, Deno), else
 * the runtime's `fetch` (Bun); the deadlines, body bound and no-redirect rule are the same
 * either way. Each `issuers[]` entry may set its own, merged key by key over this one.
 *
 * @example
 * const http: HttpOptions = { timeoutMs: 2000, connections: 16 };
 */
export interface HttpOptions {
  /** Deadline of one call (connect, headers and body), in milliseconds. Default 5000. */
  readonly timeoutMs?: number;
  /** Largest accepted answer body, in bytes. Default 65536. */
  readonly maxResponseBytes?: number;
  /** Keep-alive connections per origin (undici's pool). Not with `fetch`. Default 64. */
  readonly connections?: number;
  /** An undici dispatcher to use instead of the guard's own pool (proxies, custom TLS). Not with `fetch`. Default: none. */
  readonly dispatcher?: Dispatcher;
  /**
   * A WHATWG `fetch` to send every call through (an instrumented or proxy-aware fetch, a
   * Deno `HttpClient` bound in). The guard passes `redirect: 'manual'` and its own abort
   * signal, and does not close that fetch's connections. Not with `dispatcher` or
   * `connections`. Default: none.
   */
  readonly fetch?: typeof fetch;
}

/**
 * One endpoint's own call bounds (`introspection.http`, `jwt.http` for the JWKS), over the
 * guard's `http`.
 *
 * @example
 * const introspection: IntrospectionOptions = { endpoint, http: { timeoutMs: 1500 } };
 */
export interface EndpointHttpOptions {
  /** Deadline of one call to this endpoint, in milliseconds. Default: `http.timeoutMs`. */
  readonly timeoutMs?: number;
  /** Largest accepted answer from this endpoint, in bytes. Default: `http.maxResponseBytes`. */
  readonly maxResponseBytes?: number;
}

/**
 * Where JWT verification keys come from: a JWKS URI, or static keys; never both.
 *
 * @example
 * const keys: JwtKeySource = { jwksUri: 'https://identity.example/.well-known/jwks.json' };
 */
export type JwtKeySource =
  | {
      /** The issuer's JWKS URI. Default: discovery's `jwks_uri`. */
      readonly jwksUri: string;
      readonly keys?: never;
      readonly secret?: never;
    }
  | {
      /** A JWK, a JWKS (`{ keys: [...] }`), or a PEM SPKI public key, or a list of them. */
      readonly keys: unknown;
      readonly jwksUri?: never;
      readonly secret?: never;
    }
  | {
      /** A shared HMAC secret: the only way HS* algorithms are ever allowed. */
      readonly secret: string | Uint8Array;
      readonly jwksUri?: never;
      readonly keys?: never;
    };

/**
 * Local validation of RFC 9068 JWT access tokens.
 *
 * @example
 * const jwt: JwtOptions = { audience: 'https://api.example', algorithms: ['ES256'] };
 */
export type JwtOptions = {
  /** Expected `iss`. Default: the guard's `issuer`. */
  readonly issuer?: string;
  /**
   * Expected `aud` (one of). Required unless `checkAudience: false` or `resourceMetadata` is
   * set, whose `resource` URL is then the expected audience (RFC 8707).
   */
  readonly audience?: string | readonly string[];
  /**
   * Check every token's `aud` against `audience` (RFC 7519 §4.1.3; a token without `aud` is
   * refused). `false` skips the check: any audience passes, and `audience` must not be set.
   * Default true.
   */
  readonly checkAudience?: boolean;
  /** Allowed algorithms. Default: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA. */
  readonly algorithms?: readonly string[];
  /** RFC 9068 §2.1: require `typ: at+jwt`. Default true. */
  readonly requireTyp?: boolean;
  /**
   * Oldest accepted `iat`, in seconds: refused once `now - iat - clockToleranceSec` exceeds it
   * (as jose counts). A cached result ends at that same moment. Default: none.
   */
  readonly maxTokenAgeSec?: number;
  /**
   * Claims every token must carry (`iss`, `sub`, `client_id`, `jti`: non-empty strings; `exp`,
   * `iat`, `nbf`: numbers; `aud`: string or list). Default with `requireTyp` (RFC 9068 §2.2):
   * `iss exp aud sub client_id iat jti`; without it `iss exp aud`. `exp` is always required.
   */
  readonly requiredClaims?: readonly string[];
  /** Least time between two JWKS fetches, in milliseconds. Default 30000. */
  readonly jwksCooldownMs?: number;
  /** The deadline and body bound of JWKS fetches alone. Default: the guard's `http`. */
  readonly http?: EndpointHttpOptions;
} & Partial<JwtKeySource>;

/**
 * The validation cache (`false` turns it off).
 *
 * @example
 * const cache: CacheOptions = { maxEntries: 50_000, maxTtlMs: 60_000 };
 */
export interface CacheOptions {
  /**
   * The shared tier (e.g. `createRedisStore` from `@tokenguard/redis`), asked after the
   * in-process LRU and before the identity service. Default: none (in-process only).
   */
  readonly store?: CacheStore;
  /** Positive entries kept in process. Default 10000. */
  readonly maxEntries?: number;
  /**
   * Inactive/invalid results kept in process, in their own LRU so junk tokens cannot push
   * valid entries out. Default `maxEntries / 10` (1000), at least 1.
   */
  readonly maxInactiveEntries?: number;
  /** Longest life of a positive entry, in milliseconds. Default 300000. Never past the token's `exp`. */
  readonly maxTtlMs?: number;
  /** Life of an inactive/invalid result, in milliseconds. Default 10000; 0 disables negative caching. */
  readonly inactiveTtlMs?: number;
  /**
   * Stale-if-error: while the identity service (or the JWKS, or discovery) is down, a
   * positive entry that went out of date less than this many milliseconds ago still
   * answers, marked `auth.stale === true`. Never past the token's `exp`, never after
   * `evict`/`evictSubject` or an inactive answer. A revoked token can then pass for up to
   * `maxTtlMs + staleIfErrorMs`. Default 0 (off).
   */
  readonly staleIfErrorMs?: number;
  /**
   * Deadline of the shared `store` per request, in milliseconds: every store call a request
   * waits on (read, cross-instance lock, write) spends from it, and once one fails or it is
   * spent the rest of the request does not wait on the store. A store that errs or answers
   * later costs a cache miss, never an error answer. Default 50.
   */
  readonly storeTimeoutMs?: number;
  /**
   * Mixed into the namespace of every cache key, beside the fingerprint of the validation
   * settings and of our own introspection credentials. Required with a shared `store` when
   * `introspection.clientAuth.token` is a function (its identity cannot be seen).
   */
  readonly namespace?: string;
}

/**
 * Where the guard looks for the access token. The `Authorization` header (RFC 6750 §2.1) is
 * always read; every other location is off until it is named here. A token found in two
 * places is refused (400 `invalid_request`).
 *
 * @example
 * const token: TokenOptions = { body: true, cookie: 'session' };
 */
export interface TokenOptions {
  /** Longest accepted Authorization header (and token from any location), in bytes. Default 8192. */
  readonly maxHeaderBytes?: number;
  /** RFC 6750 §2.2: accept `access_token` in a form body. Default false. */
  readonly body?: boolean;
  /** RFC 6750 §2.3: accept `access_token` in the query. Default false (tokens leak into logs). */
  readonly query?: boolean;
  /**
   * Also read the token from this cookie (browser-facing APIs), under the header's rules.
   * Read on safe methods only (GET, HEAD, OPTIONS, TRACE) unless `cookieOnUnsafeMethods`:
   * a cookie rides along on cross-site requests (CSRF). Default: no cookie.
   */
  readonly cookie?: string;
  /**
   * Read the `cookie` token on POST, PUT, PATCH, DELETE… too. Only with a CSRF defence of
   * your own (SameSite=Strict cookies, a CSRF token, an Origin check). Default false.
   */
  readonly cookieOnUnsafeMethods?: boolean;
  /** Your own token location, e.g. `(req) => req.headers['x-api-token']`. Default: none. */
  readonly getToken?: TokenGetter;
}

/**
 * The options of `createGuard`; every one is checked at construction.
 *
 * @example
 * const options: GuardOptions = {
 *   issuer: 'https://identity.example',
 *   jwt: { audience: 'https://api.example' },
 *   scopes: ['orders:read'],
 * };
 */
export interface GuardOptions {
  /** `realm` of every challenge. Default `api`. */
  readonly realm?: string;
  /** Issuer for discovery (RFC 8414, then OpenID discovery) and the default JWT `iss`. */
  readonly issuer?: string;
  /**
   * Which strategy validates tokens. Default: `auto` when both are configured, else the
   * configured one. With `issuers` / `resolveIssuer`: the default of every entry.
   */
  readonly strategy?: 'introspection' | 'jwt' | 'auto';
  /**
   * RFC 7662 introspection of opaque tokens: endpoint, our credentials, bounds. With `issuers`
   * / `resolveIssuer`: shared by every entry, merged key by key under the entry's own. Default: none.
   */
  readonly introspection?: IntrospectionOptions;
  /**
   * Local verification of RFC 9068 JWT access tokens. With `issuers` / `resolveIssuer`: shared
   * by every entry (without `issuer`: each entry's is its own), merged key by key under the
   * entry's own. Default: none.
   */
  readonly jwt?: JwtOptions;
  /**
   * How every outbound call (introspection, token endpoint, discovery, JWKS) is sent: its
   * deadline, body bound and transport. `introspection.http` and `jwt.http` bound one
   * endpoint's calls; an `issuers[]` entry's own `http` wins over this one.
   */
  readonly http?: HttpOptions;
  /** `false` turns caching off. */
  readonly cache?: CacheOptions | false;
  /**
   * Where the access token may come from besides the `Authorization` header (RFC 6750 §2):
   * form body, query, a cookie, your own function; and the header's size limit.
   */
  readonly token?: TokenOptions;
  /**
   * CORS preflights (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) carry no
   * token (Fetch §3.2.2). By default a preflight that reaches the guard is answered by the
   * adapter itself, `204` with no CORS headers of its own, and no handler runs: mount your
   * CORS middleware before the guard so it answers preflights. `true` passes them on to the
   * app without authentication (route helpers still refuse them: 401). Default false.
   */
  readonly passCorsPreflight?: boolean;
  /**
   * RFC 9728 Protected Resource Metadata: the adapters serve this document at
   * `/.well-known/oauth-protected-resource` (and its path-suffixed form), and every
   * challenge carries `resource_metadata` pointing at it. Default: none.
   */
  readonly resourceMetadata?: ResourceMetadataOptions;
  /**
   * Several trusted issuers, each with its own discovery, keys, audience, introspection and
   * credentials (instead of `issuer`). Each entry inherits the guard's `strategy`, `jwt`,
   * `introspection` and `http`, key by key, its own values winning. A JWT goes to the entry
   * its `iss` names exactly (an unknown `iss` is a 401 that fetches nothing); an opaque token
   * to `selectIssuer`'s choice, else each introspecting entry in order. Default: none.
   */
  readonly issuers?: readonly IssuerOptions[];
  /** Finds issuers `issuers` does not list (many tenants); results cached. Default: none. */
  readonly resolveIssuer?: IssuerResolver;
  /** Picks an opaque token's issuer from the request (host, path, header). Default: try in order. */
  readonly selectIssuer?: IssuerSelector;
  /**
   * Most issuers found by `resolveIssuer` held at once (metadata, keys, pools), counted
   * separately for issuers that have validated a token and for new ones that have not yet
   * (probation): new issuers only push out other new ones. Default 100.
   */
  readonly maxIssuers?: number;
  /**
   * Most new issuers `resolveIssuer` may set up per second (each costs metadata and key-set
   * fetches); past it a token naming another unknown issuer is answered 503 with
   * `Retry-After`, so a flood of junk tokens naming tenants costs a bounded number of
   * outbound fetches. Default 10.
   */
  readonly maxNewIssuersPerSec?: number;
  /** Clock tolerance for `exp`/`nbf`/`iat`, in seconds. Default 5. */
  readonly clockToleranceSec?: number;
  /** Allow `http:` endpoints (loopback tests, local development). Default false. */
  readonly allowInsecureHttp?: boolean;
  /** A request without a token passes with no auth; a bad token still fails. Default false. */
  readonly optional?: boolean;
  /** Scopes every request's token must carry, all of them (403 `insufficient_scope`). Default: none. */
  readonly scopes?: readonly string[];
  /** Scopes of which every request's token must carry at least one. Default: none. */
  readonly anyScope?: readonly string[];
  /**
   * The brand every request's token must carry in its own `brand` claim: one, any of a list,
   * or a function of the request (403 `invalid_brand`). Default: none.
   */
  readonly brand?: BrandRequirement;
  /** Your own rule on the validated auth context; `false` refuses with 403 `access_denied`. Default: none. */
  readonly predicate?: ClaimsPredicate;
  /**
   * RFC 9470 step-up for every request: how (`acr`) and how recently (`auth_time`, within
   * `maxAgeSec` seconds) the user behind the token authenticated; otherwise 401
   * `insufficient_user_authentication` with `acr_values` / `max_age` in the challenge. Checked
   * before the scope, brand and predicate requirements, guard-wide and per route. Default: none.
   */
  readonly authContext?: AuthContextRequirement;
  /**
   * DPoP (RFC 9449): `'disabled'` (default: bearer tokens only; DPoP-bound tokens are
   * refused), `'allowed'` (bearer and DPoP tokens), `'required'` (DPoP tokens only), or an
   * object with the mode and proof settings.
   */
  readonly dpop?: DpopOption;
  /**
   * Certificate-bound tokens (RFC 8705 §3): where the TLS client certificate comes from.
   * Default: none, and certificate-bound tokens are refused.
   */
  readonly mtls?: MtlsOptions;
  /**
   * Where warnings and upstream details go: `{ warn, error, debug? }`; with `debug`, one line
   * per refusal with its reason code (never the token). Fastify logs through `request.log`.
   * Default: `console.warn`/`console.error`, no debug lines.
   */
  readonly logger?: TokenGuardLogger;
  /**
   * Put the fixed text of the refusal reason (e.g. "The access token has expired") in
   * `error_description` of the guard's answers (`guard.errorResponse`, every adapter) instead
   * of the generic text of the error code; an `invalid_request` keeps its own text. Never
   * token or upstream content. Default false.
   */
  readonly errorDescriptions?: boolean;
}

/**
 * Several issuers in one guard (multi-tenant services, migrations between identity providers,
 * custom domains): the options of one issuer, and the application's functions that pick one.
 */
/**
 * One trusted issuer: its own discovery, key source, audience, introspection endpoint and
 * client credentials. A token is validated by exactly one issuer.
 */
export interface IssuerOptions {
  /** The issuer identifier: matched exactly against a JWT's `iss`; the base of discovery. */
  readonly issuer: string;
  /** Which strategy validates this issuer's tokens. Default: the guard's `strategy`, else inferred as for the guard. */
  readonly strategy?: 'introspection' | 'jwt' | 'auto';
  /**
   * This issuer's introspection (endpoint default: its discovery), merged key by key over the
   * guard's `introspection`: a member it sets (a whole `clientAuth`, `http`) wins. Default: the guard's.
   */
  readonly introspection?: IntrospectionOptions;
  /**
   * This issuer's JWT verification (`jwt.issuer` is always `issuer`), merged key by key over
   * the guard's `jwt`: a member it sets (`audience`, a whole `http`) wins. Default: the guard's.
   */
  readonly jwt?: Omit<JwtOptions, 'issuer'>;
  /** How this issuer's calls are sent, merged key by key over the guard's `http`. Default: the guard's. */
  readonly http?: HttpOptions;
}

/**
 * Looks up an issuer the list does not name (large tenant counts): `iss` is a JWT's `iss`
 * (read before verification, only to find its entry) or what `selectIssuer` chose. Return the
 * entry for that exact issuer, or `undefined` for an issuer you do not trust (401). Results are
 * cached, and at most `maxIssuers` issuers' metadata and keys are held at once.
 */
export type IssuerResolver = (
  iss: string,
  request: RequestLike | undefined,
) => IssuerOptions | undefined | Promise<IssuerOptions | undefined>;

/**
 * Picks the issuer of an opaque token (which names none) from the request: its host, path
 * or a header. Return an issuer identifier, or `undefined` to try the configured issuers in
 * order. Not called by `guard.verify(token)`, which has no request.
 */
export type IssuerSelector = (request: RequestLike) => string | undefined;

/** Whether DPoP tokens are accepted: never, beside bearer tokens, or only them. */
export type DpopMode = 'disabled' | 'allowed' | 'required';

/** The `dpop` option: a mode, or a mode with settings. */
export type DpopOption = DpopMode | DpopOptions;

export interface DpopOptions {
  /** `'allowed'`: bearer and DPoP tokens; `'required'`: DPoP only; `'disabled'`: bearer only. */
  readonly mode: DpopMode;
  /** Accepted proof algorithms (asymmetric only). Default: every asymmetric JWS algorithm. */
  readonly algorithms?: readonly string[];
  /** Oldest accepted proof `iat`, in seconds. Default 60. */
  readonly maxProofAgeSec?: number;
  /**
   * The public origins clients address this API by (`https://api.example.com`), when a
   * proxy terminates TLS or rewrites `Host`: a proof's `htu` must then be one of them plus
   * the request path. Default: the connection's scheme and the `Host` header.
   */
  readonly origins?: readonly string[];
  /**
   * Server-provided nonces (RFC 9449 §9): `true`, or a `secret` shared by every instance
   * (at least 32 bytes) and how long a nonce is accepted, `maxAgeSec` (default 300).
   * Default: off.
   */
  readonly nonce?: boolean | { readonly secret?: string | Uint8Array; readonly maxAgeSec?: number };
  /**
   * Most proof `jti`s remembered in process (RFC 9449 §11.1). When every one is still
   * live, new proofs are refused (503 with `Retry-After`) rather than a live one forgotten:
   * a forgotten proof could be replayed. Default 100000.
   */
  readonly maxReplayEntries?: number;
}

/** The `mtls` option: where the TLS client certificate comes from (RFC 8705 §3). */
export interface MtlsOptions {
  /**
   * `'socket'`: the TLS connection itself. Behind a TLS-terminating proxy: the header the
   * proxy sets, trusted only on connections from the listed proxy addresses.
   */
  readonly certificateFrom: CertificateSource;
}

/** Where the client certificate comes from (`mtls.certificateFrom`). */
export type CertificateSource =
  | 'socket'
  | {
      /** Header set by the proxy (lower-case), e.g. `client-cert` (RFC 9440) or `x-ssl-client-cert`. */
      readonly header: string;
      /** Addresses of the proxies allowed to set it (the connection's peer address). */
      readonly trustedProxies: readonly string[];
    };

/** The `resourceMetadata` option. */
export interface ResourceMetadataOptions {
  /**
   * The resource identifier (RFC 9728 §2 `resource`): the https URL clients call, e.g.
   * `https://api.example/mcp`. No fragment, no query. Its path decides the document's
   * path-suffixed location (§3.1): `https://api.example/.well-known/oauth-protected-resource/mcp`.
   */
  readonly resource: string;
  /** `authorization_servers`: issuer URLs. Default: the guard's `issuer` (or `issuers`). */
  readonly authorizationServers?: readonly string[];
  /** `scopes_supported`. Default: omitted. */
  readonly scopesSupported?: readonly string[];
  /** `resource_name`, human-readable. Default: omitted. */
  readonly resourceName?: string;
  /** `resource_documentation`, a URL for developers. Default: omitted. */
  readonly resourceDocumentation?: string;
  /**
   * Further members, sent as given (RFC 9728 §2's `resource_policy_uri`, `jwks_uri`, or your
   * own). May not repeat a member the guard computes. Default: none.
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}
