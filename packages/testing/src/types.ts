import type { KeyObject } from 'node:crypto';

/** JWS algorithms the identity server can sign access tokens with. */
export type JwtAlgorithm = 'RS256' | 'ES256' | 'EdDSA';

/** A public JWK as served in the JWKS (always carries `kid`, `alg` and `use`). */
export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use?: string;
  [member: string]: unknown;
}

/** A JSON Web Key Set. */
export interface JwkSet {
  keys: PublicJwk[];
}

/** A client registered with the identity server. */
export interface ClientRegistration {
  /** The `client_id`. */
  clientId: string;
  /** Shared secret for `client_secret_basic` and `client_secret_post`; without it those fail. */
  clientSecret?: string;
  /** Public keys that verify the client's RFC 7523 `private_key_jwt` assertions. */
  jwks?: { keys: object[] };
  /** Whether the client may call the introspection endpoint. Default `true`; `false` → 403. */
  canIntrospect?: boolean;
}

/** Options for {@link createIdentityServer}. Every field is optional. */
export interface IdentityServerOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** Port to listen on. Default `0` (a free port). */
  port?: number;
  /**
   * `issuer` in the metadata documents and `iss` of minted JWTs.
   * Default: the server's own base URL. Set it wrong on purpose to test issuer checks.
   */
  issuer?: string;
  /** Static bearer token accepted as introspection caller credential. Default: random. */
  callerToken?: string;
  /**
   * Extra registered clients. A default client `resource-server` (random secret, allowed to
   * introspect) always exists; registering the same id replaces it.
   */
  clients?: ClientRegistration[];
  /** `expires_in` of `client_credentials` tokens, in seconds. Default `3600`. */
  accessTokenTtlSec?: number;
  /** Which well-known metadata documents are served (404 when off). Default both `true`. */
  metadata?: { oauth?: boolean; openid?: boolean };
  /** Algorithms for which signing keys are generated at start. Default all three. */
  jwtAlgorithms?: JwtAlgorithm[];
}

/**
 * Claims of a minted token. Fields left out take these defaults: `sub` `'user-1'`,
 * `client_id` `'client-1'`, `token_type` `'Bearer'`, `exp` now + 3600 s; `scope` and `brand`
 * are omitted unless given.
 */
export interface MintClaims {
  /** Subject. Default `'user-1'`. */
  sub?: string;
  /** Client the token was issued to. Default `'client-1'`. */
  client_id?: string;
  /** Space-separated scopes. Omitted by default. */
  scope?: string;
  /** Absolute expiry, seconds since the epoch. Wins over `expiresInSec`. */
  exp?: number;
  /** Lifetime from now, in seconds (negative for an already expired token). Default `3600`. */
  expiresInSec?: number;
  /** Not-before, seconds since the epoch. The server answers `active:false` before it. */
  nbf?: number;
  /** The contract's `brand` claim. Omitted by default. */
  brand?: string;
  /** RFC 7662 `token_type`. Default `'Bearer'`. */
  token_type?: string;
  /**
   * OpenID Connect `acr` (RFC 9470 §6): how the user authenticated, e.g. `'urn:example:mfa'`.
   * Omitted by default.
   */
  acr?: string;
  /** OpenID Connect `amr`: the authentication methods used, e.g. `['pwd', 'otp']`. Omitted by default. */
  amr?: string[];
  /** OpenID Connect `auth_time`: when the user authenticated, seconds since the epoch. Omitted by default. */
  auth_time?: number;
  /** Sets `auth_time` to this many seconds ago (`auth_time` wins when both are given). */
  authenticatedSecAgo?: number;
  /**
   * Merged last into the introspection answer (and the JWT payload) without being judged by
   * the server: `extra: { exp: … }` reports an `exp` the server itself ignores.
   */
  extra?: Record<string, unknown>;
}

/** Claims accepted by {@link IdentityServer.mintJwt}: {@link MintClaims} plus any JWT claim. */
export type MintJwtClaims = MintClaims & {
  /** Audience. Default `'api'`. */
  aud?: string | string[];
  /** Issuer. Default: the server's issuer. */
  iss?: string;
  [claim: string]: unknown;
};

/** Options for {@link IdentityServer.mintJwt}. */
export interface MintJwtOptions {
  /** Signing algorithm (the current key of that algorithm is used). Default `'RS256'`. */
  alg?: JwtAlgorithm;
  /** Merged into the protected header (e.g. `{ typ: 'JWT' }`); `alg` cannot be changed. */
  header?: Record<string, unknown>;
  /** Lifetime from now, in seconds. Default `3600`. */
  expiresInSec?: number;
}

/** Kinds of deliberately bad JWTs, each wrong in exactly the way its name says. */
export type BadJwtKind =
  | 'wrong-key'
  | 'alg-none'
  | 'hs256-with-public-key'
  | 'expired'
  | 'future-nbf'
  | 'future-iat'
  | 'wrong-iss'
  | 'wrong-aud'
  | 'wrong-typ'
  | 'missing-typ'
  | 'unknown-kid'
  | 'jku-header'
  | 'embedded-jwk'
  | 'x5u-header'
  | 'crit-header'
  | 'tampered-payload'
  | 'missing-exp';

/** A fault the server injects instead of (or before) its normal answer. */
export type Fault =
  /** Answer normally after `ms` milliseconds. */
  | { kind: 'delay'; ms: number }
  /** Never answer (the connection stays open until the client or `close()` ends it). */
  | { kind: 'hang' }
  /** 200 with a JSON content type, then one byte every `intervalMs`, never finishing. */
  | { kind: 'drip'; intervalMs: number }
  /** Destroy the connection (TCP reset) without an answer. */
  | { kind: 'reset' }
  /** Answer with `status` and `body` (default: an OAuth error JSON for that status). */
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  /** 200 with an HTML page. */
  | { kind: 'html' }
  /** 200 `application/json` whose body is not valid JSON. */
  | { kind: 'non-json' }
  /** 200 JSON with the right names but wrong types (e.g. `{"active":"true","exp":"soon"}`). */
  | { kind: 'wrong-types' }
  /** 200 `{"active":true}` with an `exp` in the past. */
  | { kind: 'expired-active' }
  /** 200 JSON body of exactly `bytes` bytes. */
  | { kind: 'oversized'; bytes: number }
  /** A redirect (default 302) to `location`. */
  | { kind: 'redirect'; location: string; status?: number };

/** Endpoints a fault can be injected on; `'metadata'` covers both well-known documents. */
export type FaultEndpoint = 'introspect' | 'token' | 'jwks' | 'metadata';

/** Requests received per endpoint since start or the last {@link IdentityServer.resetCalls}. */
export interface CallCounts {
  introspect: number;
  token: number;
  jwks: number;
  oauthMetadata: number;
  openidMetadata: number;
  /** Fetches of `/.well-known/ssf-configuration`. */
  ssfConfiguration: number;
  revoke: number;
  /** Requests to `/oauth/authorize` (always refused: `client_credentials` only). */
  authorize: number;
  /** Fetches of `/attacker/*` (where the `jku`/`x5u` headers of bad JWTs point). */
  attacker: number;
}

/** A running local identity server. */
export interface IdentityServer {
  /** Base URL, e.g. `'http://127.0.0.1:PORT'`. */
  readonly url: string;
  /** The issuer in metadata and minted JWTs. */
  readonly issuer: string;
  /** `${url}/v1/oauth/introspect` (the contract's path). */
  readonly introspectionEndpoint: string;
  /** `${url}/oauth/token`. */
  readonly tokenEndpoint: string;
  /** `${url}/oauth/revoke`. */
  readonly revocationEndpoint: string;
  /** `${url}/.well-known/jwks.json`. */
  readonly jwksUri: string;
  /** The contract's `$ACCESS_TOKEN`: a static bearer allowed to introspect. */
  readonly callerToken: string;
  /** The always-present client `resource-server`, allowed to introspect. */
  readonly defaultClient: { clientId: string; clientSecret: string };
  /** Register a client, replacing any client with the same id. */
  registerClient(client: ClientRegistration): void;
  /** Mint an opaque token with chosen claims; introspection reports them. */
  mintToken(claims?: MintClaims): string;
  /**
   * Mint an RFC 9068 JWT access token signed with the current key of `alg` (default RS256):
   * header `typ: 'at+jwt'` and `kid`; `iss` the issuer, `aud` default `'api'`, `iat`, `exp`,
   * `jti`, then the claims. Introspection also knows it.
   */
  mintJwt(claims?: MintJwtClaims, options?: MintJwtOptions): Promise<string>;
  /** Mint a deliberately bad JWT for attack tests. */
  mintBadJwt(kind: BadJwtKind, claims?: MintClaims & Record<string, unknown>): Promise<string>;
  /**
   * Add a new key (new kid) per algorithm; the JWKS serves old and new keys and new JWTs use
   * the new ones. Returns the new RS256 kid.
   */
  rotateKeys(): Promise<string>;
  /** Drop every key but the current one per algorithm from the JWKS. */
  retireOldKeys(): void;
  /** The JWKS as currently served. */
  jwks(): JwkSet;
  /** The kid of the current key for `alg` (default RS256). */
  currentKid(alg?: JwtAlgorithm): string;
  /** The current public key for `alg` (default RS256), e.g. for static-key configuration. */
  publicKey(alg?: JwtAlgorithm): KeyObject;
  /** Revoke a token (opaque or minted JWT): introspection then answers `active:false`. */
  revoke(token: string): void;
  /** Per-endpoint request counters (a fresh snapshot on each read). */
  readonly calls: CallCounts;
  /** Set every counter back to zero. */
  resetCalls(): void;
  /**
   * Inject `fault` on `endpoint` for the next `times` requests (default: until cleared).
   * A new fault on the same endpoint replaces the previous one.
   */
  injectFault(endpoint: FaultEndpoint, fault: Fault, times?: number): void;
  /** Remove every injected fault. */
  clearFaults(): void;
  /**
   * Sign an RFC 8417 Security Event Token as this server (an OpenID Shared Signals
   * transmitter): header `typ: secevent+jwt`, signed with the current key of the JWKS.
   */
  mintSecurityEvent(options: SecurityEventOptions): Promise<string>;
  /**
   * Push a SET to a receiver as RFC 8935 §2 says: `POST`, `Content-Type:
   * application/secevent+jwt`. Given options, the SET is minted first.
   */
  pushSecurityEvent(
    endpoint: string,
    set: string | SecurityEventOptions,
    init?: { authorization?: string; contentType?: string },
  ): Promise<PushResult>;
  /** `${url}/.well-known/ssf-configuration` (OpenID SSF 1.0 transmitter metadata). */
  readonly ssfConfigurationUri: string;
  /** Stop listening and destroy open connections, including hung and dripping answers. */
  close(): Promise<void>;
}

/** An RFC 9493 subject identifier, e.g. `{ format: 'iss_sub', iss, sub }` or `{ format: 'email', email }`. */
export interface SubjectIdentifier {
  format: string;
  [member: string]: unknown;
}

/** What {@link IdentityServer.mintSecurityEvent} signs. */
export interface SecurityEventOptions {
  /** RFC 8417 §2.2 `events`: event type URI → event payload. */
  events: Record<string, Record<string, unknown>>;
  /** `aud`: the receiver. */
  audience: string | string[];
  /** The subject, sent as the OpenID SSF 1.0 `sub_id` claim. Omitted by default. */
  subject?: SubjectIdentifier;
  /** Merged last into the payload (e.g. `{ iss: 'https://other' }`, `{ sub: 'user-1' }`). */
  claims?: Record<string, unknown>;
  /** Merged into the protected header (e.g. `{ typ: 'JWT' }`); `alg` cannot be changed. */
  header?: Record<string, unknown>;
  /** `'attacker'` signs with a key the JWKS does not publish, under the real `kid`. Default `'server'`. */
  signWith?: 'server' | 'attacker';
  /** Signing algorithm. Default `'RS256'`. */
  alg?: JwtAlgorithm;
}

/** A receiver's answer to a pushed SET. */
export interface PushResult {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON for a JSON answer, else the text (empty for a 202). */
  body: unknown;
}
