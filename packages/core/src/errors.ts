/**
 * One error hierarchy for every refusal. Each error carries a stable `code`, the HTTP
 * `status`, the response `headers` (the RFC 6750 challenge) and a fixed public
 * `description`; `message` may carry detail for logs and never reaches a response.
 */
import { buildChallenge, type ChallengeAttributes } from './http/build-challenge.js';
import { brandClass, brandOf, ERROR_BRAND, isBrandedInstance } from './internal/symbols.js';

const NO_EXTRAS: ChallengeAttributes = Object.freeze({});

/**
 * The body every refusal is answered with (the identity service's error schema).
 *
 * @example
 * const body: ErrorBody = { error: 'invalid_token', error_description: 'The access token is invalid or expired' };
 */
export interface ErrorBody {
  readonly error: string;
  readonly error_description: string;
  readonly error_uri?: string;
}

/**
 * Stable codes: the `error` of the body and, for 4xx, of the challenge.
 *
 * @example
 * if (isTokenGuardError(error) && error.code === 'temporarily_unavailable') retryLater();
 */
export type TokenGuardErrorCode =
  | 'missing_token'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'invalid_brand'
  | 'access_denied'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'temporarily_unavailable'
  | 'server_error';

/**
 * Why a request was refused: a stable, documented code beside the RFC 6750 `error` (the
 * reason table of docs/troubleshooting.md). Several reasons share one `error` code: the client sees the
 * standard code, the operator sees the reason (on the error, in metrics, diagnostics and a
 * debug-level log line, and opt-in in `error_description`).
 */
export type RefusalReason =
  // 401 invalid_token: a verdict on the token itself.
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_too_old'
  | 'token_issued_in_future'
  | 'token_inactive'
  | 'token_malformed'
  | 'not_a_jwt'
  | 'token_type_unsupported'
  | 'signature_invalid'
  | 'unknown_key'
  | 'key_unusable'
  | 'algorithm_not_allowed'
  | 'header_refused'
  | 'typ_invalid'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'claim_missing'
  | 'claim_invalid'
  | 'sender_constrained'
  // 401 invalid_token / invalid_dpop_proof / use_dpop_nonce: possession not proven (RFC 9449, RFC 8705).
  | 'dpop_proof_invalid'
  | 'dpop_proof_replayed'
  | 'dpop_nonce_required'
  | 'dpop_required'
  | 'dpop_not_bound'
  | 'dpop_refused'
  | 'certificate_mismatch'
  // 401 without error code, and 400.
  | 'token_missing'
  | 'cookie_ignored'
  | 'request_invalid'
  // 401 insufficient_user_authentication (RFC 9470): the user must authenticate again.
  | 'user_authentication_insufficient'
  // 403: a valid token that does not meet the route's requirements.
  | 'scope_insufficient'
  | 'brand_mismatch'
  | 'access_denied'
  // 5xx: never the token's fault.
  | 'upstream_unavailable'
  | 'server_error';

/**
 * The fixed public text per reason, sent as `error_description` only with the guard option
 * `errorDescriptions: true`. Never token or upstream content: these strings are all there is.
 */
export const REASON_DESCRIPTIONS: Readonly<Record<RefusalReason, string>> = Object.freeze({
  token_expired: 'The access token has expired',
  token_not_yet_valid: 'The access token is not valid yet',
  token_too_old: 'The access token was issued too long ago',
  token_issued_in_future: 'The access token was issued in the future',
  token_inactive: 'The access token is not active',
  token_malformed: 'The access token is malformed',
  not_a_jwt: 'The access token is not a JWT, and this resource accepts JWT access tokens only',
  token_type_unsupported: 'The access token is of a type the authorization service does not accept',
  signature_invalid: 'The access token signature is invalid',
  unknown_key: 'The access token was signed with an unknown key',
  key_unusable: 'The access token was signed with a key that is not accepted',
  algorithm_not_allowed: 'The access token signature algorithm is not accepted',
  header_refused: 'The access token carries a header that is not accepted',
  typ_invalid: 'The access token is not a JWT access token (typ)',
  issuer_mismatch: 'The access token was issued by another issuer',
  audience_mismatch: 'The access token is not intended for this audience',
  claim_missing: 'The access token lacks a required claim',
  claim_invalid: 'The access token has a claim of the wrong type',
  sender_constrained: 'The access token is sender-constrained and cannot be used as a bearer token',
  dpop_proof_invalid: 'The DPoP proof is invalid',
  dpop_proof_replayed: 'The DPoP proof was already used',
  dpop_nonce_required: 'The DPoP proof must carry the server-provided nonce',
  dpop_required: 'A DPoP-bound access token is required',
  dpop_not_bound: 'The access token presented with DPoP is not DPoP-bound',
  dpop_refused: 'DPoP-bound access tokens are not accepted here',
  certificate_mismatch:
    'The access token is bound to a client certificate this request did not present',
  token_missing: 'A bearer token is required',
  cookie_ignored:
    'A bearer token is required: the access token cookie is not read on this method (cross-site request forgery)',
  request_invalid: 'The request is malformed',
  user_authentication_insufficient: 'A different or more recent user authentication is required',
  scope_insufficient: 'The access token lacks a required scope',
  brand_mismatch: 'The access token is not valid for this brand',
  access_denied: 'The access token does not grant access to this resource',
  upstream_unavailable: 'The authorization service is temporarily unavailable',
  server_error: 'The server could not validate the access token',
});

/** True for a known reason code (a cached entry from a shared store is only JSON). */
export function isRefusalReason(value: unknown): value is RefusalReason {
  return typeof value === 'string' && Object.hasOwn(REASON_DESCRIPTIONS, value);
}

interface ErrorInit {
  /** Detail for logs (never a token, never a secret). */
  readonly message?: string;
  readonly cause?: unknown;
  /** The realm of the challenge (RFC 6750 §3); the guard passes its own. Default `api`. */
  readonly realm?: string;
  /** Why the request was refused; each error class has a default. */
  readonly reason?: RefusalReason;
}

/**
 * Base of every error the guard throws on the request path. `instanceof` works across two
 * copies of the package (each class carries a `Symbol.for` brand).
 *
 * @example
 * if (error instanceof TokenGuardError) res.status(error.status).set(error.headers).json(error.body);
 */
export abstract class TokenGuardError extends Error {
  abstract readonly code: TokenGuardErrorCode;
  abstract readonly status: 400 | 401 | 403 | 500 | 503;
  /** Fixed text for `error_description`. */
  abstract readonly description: string;
  /** The realm of the challenge (RFC 6750 §3); a guard answers with its own (`answeredWith`). */
  realm: string;
  /** RFC 6750 §3: the scope needed, advertised in the challenge. */
  readonly requiredScope?: string;
  /** The stable refusal reason (docs/troubleshooting.md). */
  readonly reason: RefusalReason;
  /**
   * RFC 9728 §5.1: the URL of the protected resource's metadata document, advertised in
   * the challenge; a guard with `resourceMetadata` answers with it (`answeredWith`).
   */
  resourceMetadata: string | undefined = undefined;
  /**
   * RFC 9449 §7.1: given by a guard that accepts DPoP (`answeredWith`), so the answer
   * challenges with `DPoP` (and `Bearer` when bearer tokens are accepted too). Absent:
   * Bearer only.
   */
  schemes?: ChallengeSchemes;

  constructor(init: ErrorInit = {}) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.realm = init.realm ?? 'api';
    this.reason = init.reason ?? this.defaultReason();
  }

  /**
   * This refusal as one guard answers it: a copy carrying the guard's realm, RFC 9728
   * metadata URL and challenge schemes. The error itself is never changed: one error may be
   * shared by every request that waited on the same failed fetch, each answered by its own
   * guard and route.
   */
  answeredWith(challenge: ChallengeSettings): this {
    const copy = Object.create(
      Object.getPrototypeOf(this),
      Object.getOwnPropertyDescriptors(this),
    ) as this;
    copy.realm = challenge.realm;
    copy.resourceMetadata = challenge.resourceMetadata;
    copy.schemes = challenge.schemes;
    return copy;
  }

  /** The reason when the thrower names none. */
  protected abstract defaultReason(): RefusalReason;

  /** True for an instance of this class, even one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against.
    return isBrandedInstance(this, value);
  }

  /** The error code sent in `WWW-Authenticate`, or none (no-token 401, and 5xx). */
  protected get challengeError(): string | undefined {
    return this.code;
  }

  /** Further challenge attributes of one kind of refusal (RFC 9470's `acr_values`, `max_age`). */
  protected get challengeExtras(): ChallengeAttributes {
    return NO_EXTRAS;
  }

  /** Response headers: the challenge (4xx only), `Cache-Control: no-store`. */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (this.status < 500) headers['www-authenticate'] = this.challenge();
    return headers;
  }

  /**
   * One challenge per accepted scheme (RFC 9110 §11.6.1 allows a list). The error goes on
   * the challenge of the scheme the request used (RFC 9449 §7.1), or on the only one.
   */
  private challenge(): string {
    const schemes = this.schemes;
    // RFC 9728 §5.1: the metadata URL goes on every challenge; the error (and what would
    // satisfy it) on the challenge of the scheme it is about.
    const common = { realm: this.realm, resourceMetadata: this.resourceMetadata };
    const onError: ChallengeAttributes = {
      error: this.challengeError,
      scope: this.requiredScope,
      ...this.challengeExtras,
    };
    if (schemes === undefined) return buildChallenge({ ...common, ...onError });
    const onDpop = !schemes.bearer || schemes.presented === 'DPoP';
    const dpop = buildChallenge({
      scheme: 'DPoP',
      ...common,
      ...(onDpop ? onError : undefined),
      algs: schemes.dpopAlgs,
    });
    if (!schemes.bearer) return dpop;
    const bearer = buildChallenge({ ...common, ...(onDpop ? undefined : onError) });
    return `${bearer}, ${dpop}`;
  }

  /** The response body, in the identity service's error shape. */
  get body(): ErrorBody {
    return { error: this.code, error_description: this.description };
  }

  /** Frameworks that read `statusCode`/`expose` (Koa, Fastify, http-errors) use these. */
  get statusCode(): number {
    return this.status;
  }
  /**
   * http-errors' rule: only a client error's message may reach the client. A 5xx message
   * carries upstream detail (host, HTTP status) meant for logs.
   */
  get expose(): boolean {
    return this.status < 500;
  }
}
brandClass(TokenGuardError, ERROR_BRAND);

/**
 * RFC 6750 §3.1: a request with no credentials gets a bare challenge, no error code.
 *
 * @example
 * new MissingTokenError().headers['www-authenticate']; // 'Bearer realm="api"'
 */
export class MissingTokenError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'token_missing';
  }
  readonly code = 'missing_token';
  readonly status = 401;
  readonly description = 'A bearer token is required';
  protected override get challengeError(): undefined {
    return undefined;
  }
}
brandClass(MissingTokenError, brandOf('error.missing_token'));

/**
 * RFC 6750 §3.1 invalid_request: malformed, several tokens, over-long header.
 *
 * @example
 * throw new InvalidRequestError('The request has more than one Authorization header');
 */
export class InvalidRequestError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'request_invalid';
  }
  readonly code = 'invalid_request';
  readonly status = 400;
  readonly description: string;
  constructor(description: string, init?: ErrorInit) {
    super({ message: description, ...init });
    this.description = description;
  }
}
brandClass(InvalidRequestError, brandOf('error.invalid_request'));

/**
 * RFC 6750 §3.1 invalid_token: invalid, expired, inactive, revoked, wrong iss/aud/typ.
 *
 * @example
 * throw new InvalidTokenError({ message: 'jwt: signature invalid', realm: 'shop' });
 */
export class InvalidTokenError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'token_malformed';
  }
  readonly code = 'invalid_token';
  readonly status = 401;
  readonly description = 'The access token is invalid or expired';
}
brandClass(InvalidTokenError, brandOf('error.invalid_token'));

/**
 * RFC 6750 §3.1 insufficient_scope.
 *
 * @example
 * new InsufficientScopeError(['orders:write']).headers['www-authenticate'];
 * // 'Bearer realm="api", error="insufficient_scope", scope="orders:write"'
 */
export class InsufficientScopeError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'scope_insufficient';
  }
  readonly code = 'insufficient_scope';
  readonly status = 403;
  readonly description = 'The access token lacks a required scope';
  override readonly requiredScope: string;
  constructor(requiredScope: readonly string[], init?: ErrorInit) {
    super(init);
    this.requiredScope = requiredScope.join(' ');
  }
}
brandClass(InsufficientScopeError, brandOf('error.insufficient_scope'));

/**
 * RFC 9470 §3 insufficient_user_authentication: the token is valid, but the user's
 * authentication behind it is not strong enough (`acr`) or too old (`auth_time`) for this
 * resource. A 401, since authenticating again (step-up) helps; the challenge names what
 * would satisfy the resource.
 */
export class InsufficientUserAuthenticationError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'user_authentication_insufficient';
  }
  readonly code = 'insufficient_user_authentication';
  readonly status = 401;
  readonly description = 'A different or more recent user authentication is required';
  /** Accepted `acr` values, space-separated, for `acr_values`. */
  readonly acrValues: string | undefined;
  /** The accepted age of the authentication, in seconds, for `max_age`. */
  readonly maxAgeSec: number | undefined;
  constructor(
    required: { readonly acr?: readonly string[]; readonly maxAgeSec?: number },
    init?: ErrorInit,
  ) {
    super(init);
    this.acrValues = required.acr?.join(' ');
    this.maxAgeSec = required.maxAgeSec;
  }
  protected override get challengeExtras(): ChallengeAttributes {
    return { acrValues: this.acrValues, maxAgeSec: this.maxAgeSec };
  }
}
brandClass(InsufficientUserAuthenticationError, brandOf('error.insufficient_user_authentication'));

/**
 * RFC 9449 §7.1 invalid_dpop_proof: the DPoP proof is missing, malformed, badly signed,
 * for another method or URI, too old, replayed, or not for this token or key.
 */
export class InvalidDpopProofError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'dpop_proof_invalid';
  }
  readonly code = 'invalid_dpop_proof';
  readonly status = 401;
  readonly description = 'The DPoP proof is invalid';
}
brandClass(InvalidDpopProofError, brandOf('error.invalid_dpop_proof'));

/**
 * RFC 9449 §9: the proof must carry the server's current nonce; the answer's `DPoP-Nonce`
 * header gives it, and the client retries with a new proof.
 */
export class UseDpopNonceError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'dpop_nonce_required';
  }
  readonly code = 'use_dpop_nonce';
  readonly status = 401;
  readonly description = 'The DPoP proof must carry the server-provided nonce';
  readonly nonce: string;
  constructor(nonce: string, init?: ErrorInit) {
    super(init);
    this.nonce = nonce;
  }
  override get headers(): Record<string, string> {
    return { ...super.headers, 'dpop-nonce': this.nonce };
  }
}
brandClass(UseDpopNonceError, brandOf('error.use_dpop_nonce'));

/**
 * The token is valid, but not for this brand: 403, since re-authenticating will not help.
 *
 * @example
 * if (claims.brand !== 'acme') throw new InvalidBrandError();
 */
export class InvalidBrandError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'brand_mismatch';
  }
  readonly code = 'invalid_brand';
  readonly status = 403;
  readonly description = 'The access token is not valid for this brand';
}
brandClass(InvalidBrandError, brandOf('error.invalid_brand'));

/**
 * A custom claims predicate refused the token.
 *
 * @example
 * if (!(await predicate(auth, request))) throw new AccessDeniedError();
 */
export class AccessDeniedError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'access_denied';
  }
  readonly code = 'access_denied';
  readonly status = 403;
  readonly description = 'The access token does not grant access to this resource';
}
brandClass(AccessDeniedError, brandOf('error.access_denied'));

/**
 * The identity service (or key set, discovery, token endpoint) is down, slow or answered
 * garbage. Never a token error: 503 with `Retry-After`, details only on `message`/`cause`.
 *
 * @example
 * throw new UpstreamUnavailableError({ message: 'introspection endpoint answered HTTP 502' });
 */
export class UpstreamUnavailableError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'upstream_unavailable';
  }
  readonly code = 'temporarily_unavailable';
  readonly status = 503;
  readonly description = 'The authorization service is temporarily unavailable';
  /** Seconds for `Retry-After`. */
  retryAfterSec = 5;
  override get headers(): Record<string, string> {
    return { ...super.headers, 'retry-after': String(this.retryAfterSec) };
  }
}
brandClass(UpstreamUnavailableError, brandOf('error.temporarily_unavailable'));

/**
 * The identity service refused our own credentials (400/401/403), or the guard is
 * misconfigured: 500, details only in logs.
 *
 * @example
 * throw new ServerError({ message: 'the claims predicate threw', cause });
 */
export class ServerError extends TokenGuardError {
  protected defaultReason(): RefusalReason {
    return 'server_error';
  }
  readonly code = 'server_error';
  readonly status = 500;
  readonly description = 'The server could not validate the access token';
}
brandClass(ServerError, brandOf('error.server_error'));

/** What a guard's challenges carry besides the error itself. */
export interface ChallengeSettings {
  /** RFC 6750 §3. */
  readonly realm: string;
  /** RFC 9728 §5.1: the metadata document's URL. */
  readonly resourceMetadata: string | undefined;
  /** RFC 9449 §7.1: the accepted schemes; absent: Bearer only. */
  readonly schemes: ChallengeSchemes | undefined;
}

/** Which schemes a refusal challenges with, beside `realm` (RFC 9449 §7.1). */
export interface ChallengeSchemes {
  /** Whether the Bearer scheme is accepted too (`dpop: 'allowed'`). */
  readonly bearer: boolean;
  /** The `algs` attribute of the DPoP challenge: accepted proof algorithms. */
  readonly dpopAlgs: string;
  /** The scheme the refused request used; its challenge carries the error. */
  readonly presented?: 'Bearer' | 'DPoP';
}

/**
 * A bad option, thrown by `createGuard` at construction. Names the option path.
 *
 * @example
 * try {
 *   createGuard({ introspection: { endpoint: 'http://id.example/introspect' } });
 * } catch (error) {
 *   if (isTokenGuardConfigError(error)) console.error(error.option); // 'introspection.endpoint'
 * }
 */
export class TokenGuardConfigError extends TypeError {
  readonly code = 'invalid_option';
  readonly option: string;
  constructor(option: string, expected: string) {
    super(`tokenguard: option \`${option}\` ${expected}`);
    this.name = 'TokenGuardConfigError';
    this.option = option;
  }

  /** True for a configuration error, even one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against.
    return isBrandedInstance(this, value);
  }
}
brandClass(TokenGuardConfigError, brandOf('config_error'));

/**
 * True when `value` is any tokenguard request-path error, whichever copy of the package
 * created it.
 *
 * @example
 * app.use((error, req, res, next) => {
 *   if (!isTokenGuardError(error)) return next(error);
 *   res.status(error.status).set(error.headers).json(error.body);
 * });
 */
export function isTokenGuardError(value: unknown): value is TokenGuardError {
  return value instanceof TokenGuardError;
}

/**
 * True when `value` is a `TokenGuardConfigError`, whichever copy of the package created it.
 *
 * @example
 * if (isTokenGuardConfigError(error)) logger.fatal({ option: error.option }, error.message);
 */
export function isTokenGuardConfigError(value: unknown): value is TokenGuardConfigError {
  return value instanceof TokenGuardConfigError;
}
