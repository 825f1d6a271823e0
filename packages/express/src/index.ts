/**
 * @tokenguard/express — the Express (4 and 5) adapter. It only translates: it builds a
 * `RequestLike` from the Express request, calls the core, attaches `req.auth`, and writes
 * the core's error answer. Every decision is taken once, in `@tokenguard/core`.
 */
import './augment.js';
import {
  type BrandRequirement,
  type ClaimsPredicate,
  createGuard,
  type GuardOptions,
  normalizeRequirements,
  type RequestLike,
  type Requirements,
  ServerError,
  type TokenGuard,
  TokenGuardConfigError,
} from '@tokenguard/core';
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export type {
  AuthContext,
  BrandRequirement,
  ClaimsPredicate,
  ErrorBody,
  ErrorResponse,
  GuardMetrics,
  GuardOptions,
  RequestLike,
  Requirements,
  TokenClaims,
  TokenGuard,
  TokenGuardErrorCode,
} from '@tokenguard/core';
export {
  AccessDeniedError,
  createGuard,
  InsufficientScopeError,
  InvalidBrandError,
  InvalidRequestError,
  InvalidTokenError,
  isTokenGuardError,
  MissingTokenError,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
  UpstreamUnavailableError,
} from '@tokenguard/core';

/** Options of the Express adapter itself (never passed to the core). */
export interface ExpressAdapterOptions {
  /**
   * Hand refusals to `next(err)` (your error middleware renders them: the error carries
   * `status`, `headers` and `body`) instead of answering directly. Default `false`.
   */
  readonly passErrors?: boolean;
}

/** The middleware returned by `tokenGuard()`; `guard` exposes metrics and `close()`. */
export type TokenGuardMiddleware = RequestHandler & { readonly guard: TokenGuard };

/** Where the route helpers find the guard (and how it answers) on a request. */
const GUARD = Symbol.for('tokenguard.guard');
const PASS_ERRORS = Symbol.for('tokenguard.passErrors');

type Tagged = Record<symbol, unknown>;

/**
 * Validates every request's bearer token and sets `req.auth`. The guard is built here,
 * once: a bad option throws now, never per request.
 *
 * @example
 * app.use(tokenGuard({ introspection: { endpoint, clientAuth: { method: 'bearer', token } } }));
 * app.get('/orders', requireScopes('orders:read'), (req, res) => res.json(req.auth?.claims));
 */
export function tokenGuard(options: GuardOptions & ExpressAdapterOptions): TokenGuardMiddleware;
export function tokenGuard(
  guard: TokenGuard,
  adapterOptions?: ExpressAdapterOptions,
): TokenGuardMiddleware;
export function tokenGuard(
  options: (GuardOptions & ExpressAdapterOptions) | TokenGuard,
  adapterOptions: ExpressAdapterOptions = {},
): TokenGuardMiddleware {
  let guard: TokenGuard;
  let passErrors: unknown;
  if (isGuard(options)) {
    guard = options;
    passErrors = adapterOptions.passErrors;
  } else {
    // The core refuses unknown keys, so adapter-only keys are taken out first.
    const { passErrors: pass, ...guardOptions } = options;
    passErrors = pass;
    guard = createGuard(guardOptions);
  }
  if (passErrors !== undefined && typeof passErrors !== 'boolean') {
    throw new TokenGuardConfigError('passErrors', 'must be a boolean');
  }
  const pass = passErrors === true;

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    // A symbol key: skipped by JSON.stringify and Object.keys, and (unlike defineProperty)
    // it keeps the framework's request object in V8's fast-property mode.
    (req as unknown as Tagged)[GUARD] = guard;
    (req as unknown as Tagged)[PASS_ERRORS] = pass;
    // Express 4 ignores returned promises: every path ends in `next` or an answer, and
    // anything thrown on the way goes to `next`, so no rejection can go unhandled.
    guard
      .authenticate(toRequestLike(req))
      .then(
        (auth) => {
          if (auth !== undefined) req.auth = auth;
          next();
        },
        (error: unknown) => refuse(guard, pass, error, res, next),
      )
      .catch(next);
  };
  return Object.assign(middleware, { guard }) as TokenGuardMiddleware;
}

/** Route middleware: the token must carry every one of `scopes` (RFC 6749 §3.3). */
export function requireScopes(...scopes: string[]): RequestHandler {
  return requirement({ scopes }, 'requireScopes');
}

/** Route middleware: the token must carry at least one of `scopes`. */
export function requireAnyScope(...scopes: string[]): RequestHandler {
  return requirement({ anyScope: scopes }, 'requireAnyScope');
}

/**
 * Route middleware: the token's own `brand` claim must be `brand` (a brand, a list, or a
 * function of the request). Nothing in the request can supply the token's brand.
 */
export function requireBrand(brand: BrandRequirement): RequestHandler {
  return requirement({ brand }, 'requireBrand');
}

/** Route middleware: a custom predicate on the validated token; `false` answers 403. */
export function requireClaims(predicate: ClaimsPredicate): RequestHandler {
  return requirement({ predicate }, 'requireClaims');
}

function requirement(declared: Requirements, helper: string): RequestHandler {
  // Validated where the route is declared: a typo fails at startup, not per request.
  const requirements = normalizeRequirements(declared, helper);
  return (req, res, next) => {
    const guard = (req as unknown as Tagged)[GUARD] as TokenGuard | undefined;
    const pass = (req as unknown as Tagged)[PASS_ERRORS] === true;
    if (guard === undefined) {
      // Fail closed: a route helper without `tokenGuard()` before it is a misconfiguration.
      const error = new ServerError({
        message: 'tokenguard: a route requirement ran on a request that tokenGuard() did not see',
      });
      res.status(error.status).set(error.headers).json(error.body);
      return;
    }
    guard
      .authorize(req.auth, requirements, toRequestLike(req))
      .then(
        () => next(),
        (error: unknown) => refuse(guard, pass, error, res, next),
      )
      .catch(next);
  };
}

function refuse(
  guard: TokenGuard,
  pass: boolean,
  error: unknown,
  res: Response,
  next: NextFunction,
): void {
  if (pass) {
    next(error);
    return;
  }
  if (res.headersSent) {
    // Nothing sensible can be written any more; let Express close the response.
    next(error);
    return;
  }
  const answer = guard.errorResponse(error);
  res.status(answer.status).set(answer.headers).json(answer.body);
}

function toRequestLike(req: Request): RequestLike {
  return {
    method: req.method,
    url: req.originalUrl,
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    body: req.body,
  };
}

function isGuard(value: object): value is TokenGuard {
  return (
    typeof (value as TokenGuard).authenticate === 'function' &&
    typeof (value as TokenGuard).errorResponse === 'function'
  );
}
