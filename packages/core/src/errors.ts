/**
 * One error hierarchy for every refusal. Each error carries a stable `code`, the HTTP
 * `status`, the response `headers` (the RFC 6750 challenge) and a fixed public
 * `description`; `message` may carry detail for logs and never reaches a response.
 */
import { buildChallenge } from './http/build-challenge.js';

const BRAND = Symbol.for('tokenguard.error');

/** The body every refusal is answered with (the identity service's error schema). */
export interface ErrorBody {
  readonly error: string;
  readonly error_description: string;
  readonly error_uri?: string;
}

/** Stable codes: the `error` of the body and, for 4xx, of the challenge. */
export type TokenGuardErrorCode =
  | 'missing_token'
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_brand'
  | 'access_denied'
  | 'temporarily_unavailable'
  | 'server_error';

interface ErrorInit {
  /** Detail for logs (never a token, never a secret). */
  readonly message?: string;
  readonly cause?: unknown;
}

/** Base of every error the guard throws on the request path. */
export abstract class TokenGuardError extends Error {
  abstract readonly code: TokenGuardErrorCode;
  abstract readonly status: 400 | 401 | 403 | 500 | 503;
  /** Fixed text for `error_description`. */
  abstract readonly description: string;
  /** The realm of the challenge; the guard sets it before throwing. */
  realm = 'api';
  /** RFC 6750 §3: the scope needed, advertised in the challenge. */
  readonly requiredScope?: string;

  constructor(init: ErrorInit = {}) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
  }

  /** True for every tokenguard error, even one thrown by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being tested against.
    if (this !== TokenGuardError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true
    );
  }

  /** The error code sent in `WWW-Authenticate`, or none (no-token 401, and 5xx). */
  protected get challengeError(): string | undefined {
    return this.code;
  }

  /** Response headers: the challenge (4xx only), `Cache-Control: no-store`. */
  get headers(): Record<string, string> {
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (this.status < 500) {
      headers['www-authenticate'] = buildChallenge({
        realm: this.realm,
        error: this.challengeError,
        scope: this.requiredScope,
      });
    }
    return headers;
  }

  /** The response body, in the identity service's error shape. */
  get body(): ErrorBody {
    return { error: this.code, error_description: this.description };
  }

  /** Frameworks that read `statusCode`/`expose` (Koa, Fastify, http-errors) use these. */
  get statusCode(): number {
    return this.status;
  }
  get expose(): boolean {
    return true;
  }
}
Object.defineProperty(TokenGuardError.prototype, BRAND, { value: true });

/** RFC 6750 §3.1: a request with no credentials gets a bare challenge, no error code. */
export class MissingTokenError extends TokenGuardError {
  readonly code = 'missing_token';
  readonly status = 401;
  readonly description = 'A bearer token is required';
  protected override get challengeError(): undefined {
    return undefined;
  }
}

/** RFC 6750 §3.1 invalid_request: malformed, several tokens, over-long header. */
export class InvalidRequestError extends TokenGuardError {
  readonly code = 'invalid_request';
  readonly status = 400;
  readonly description: string;
  constructor(description: string, init?: ErrorInit) {
    super({ message: description, ...init });
    this.description = description;
  }
}

/** RFC 6750 §3.1 invalid_token: invalid, expired, inactive, revoked, wrong iss/aud/typ. */
export class InvalidTokenError extends TokenGuardError {
  readonly code = 'invalid_token';
  readonly status = 401;
  readonly description = 'The access token is invalid or expired';
}

/** RFC 6750 §3.1 insufficient_scope. */
export class InsufficientScopeError extends TokenGuardError {
  readonly code = 'insufficient_scope';
  readonly status = 403;
  readonly description = 'The access token lacks a required scope';
  override readonly requiredScope: string;
  constructor(requiredScope: readonly string[], init?: ErrorInit) {
    super(init);
    this.requiredScope = requiredScope.join(' ');
  }
}

/** The token is valid, but not for this brand: 403, since re-authenticating will not help. */
export class InvalidBrandError extends TokenGuardError {
  readonly code = 'invalid_brand';
  readonly status = 403;
  readonly description = 'The access token is not valid for this brand';
}

/** A custom claims predicate refused the token. */
export class AccessDeniedError extends TokenGuardError {
  readonly code = 'access_denied';
  readonly status = 403;
  readonly description = 'The access token does not grant access to this resource';
}

/**
 * The identity service (or key set, discovery, token endpoint) is down, slow or answered
 * garbage. Never a token error: 503 with `Retry-After`, details only on `message`/`cause`.
 */
export class UpstreamUnavailableError extends TokenGuardError {
  readonly code = 'temporarily_unavailable';
  readonly status = 503;
  readonly description = 'The authorization service is temporarily unavailable';
  /** Seconds for `Retry-After`. */
  retryAfterSec = 5;
  override get headers(): Record<string, string> {
    return { ...super.headers, 'retry-after': String(this.retryAfterSec) };
  }
}

/**
 * The identity service refused our own credentials (400/401/403), or the guard is
 * misconfigured: 500, details only in logs.
 */
export class ServerError extends TokenGuardError {
  readonly code = 'server_error';
  readonly status = 500;
  readonly description = 'The server could not validate the access token';
}

/** A bad option, thrown by `createGuard` at construction. Names the option path. */
export class TokenGuardConfigError extends TypeError {
  readonly code = 'invalid_option';
  readonly option: string;
  constructor(option: string, expected: string) {
    super(`tokenguard: option \`${option}\` ${expected}`);
    this.name = 'TokenGuardConfigError';
    this.option = option;
  }
}

/** True when `value` is any tokenguard request-path error. */
export function isTokenGuardError(value: unknown): value is TokenGuardError {
  return value instanceof TokenGuardError;
}
