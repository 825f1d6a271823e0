/**
 * The route helpers every adapter exports under the same names. Requirements are
 * normalised where the route is declared (a typo fails at startup, not per request); the
 * adapter only turns a checked requirement into its framework's middleware.
 */
import { ServerError } from '../errors.js';
import type { RequestLog } from '../guard-types.js';
import { consoleLogger } from '../options/console-logger.js';
import {
  type NormalizedRequirements,
  normalizeRequirements,
} from '../policy/normalize-requirements.js';
import type {
  AuthContextRequirement,
  BrandRequirement,
  ClaimsPredicate,
  Requirements,
} from '../types.js';
import { type Answer, JSON_CONTENT_TYPE } from './answer.js';
import { requestLogOf } from './request-log.js';

/** A route requirement, checked at declaration. */
export interface RouteRequirement {
  /**
   * The helper that declared it, as the app wrote it: `requireScopes`, or `@RequireScopes` for
   * a decorator (named in configuration errors and logs).
   */
  readonly helper: string;
  readonly requirements: NormalizedRequirements;
}

export interface RequirementHelpers<Middleware> {
  /**
   * Route middleware: the token must carry every one of `scopes` (RFC 6749 §3.3), given as
   * separate arguments or as one list. A string holding several scopes (`'a b'`) is refused
   * at startup.
   *
   * @example
   * app.get('/orders', requireScopes('orders:read'), listOrders);
   * app.post('/orders', requireScopes(['orders:read', 'orders:write']), createOrder);
   */
  requireScopes(...scopes: string[]): Middleware;
  requireScopes(scopes: readonly string[]): Middleware;
  /** Route middleware: the token must carry at least one of `scopes` (arguments or one list). */
  requireAnyScope(...scopes: string[]): Middleware;
  requireAnyScope(scopes: readonly string[]): Middleware;
  /**
   * Route middleware: the token's own `brand` claim must be `brand` (a brand, a list, or a
   * function of the request). Nothing in the request can supply the token's brand.
   */
  requireBrand(brand: BrandRequirement): Middleware;
  /** Route middleware: a custom predicate on the validated token; `false` answers 403. */
  requireClaims(predicate: ClaimsPredicate): Middleware;
  /**
   * Route middleware, RFC 9470 step-up: the token's `acr` must be one of `acr` and its
   * `auth_time` at most `maxAgeSec` old; otherwise 401 `insufficient_user_authentication`
   * with `acr_values` / `max_age` in the challenge.
   */
  requireAuthContext(required: AuthContextRequirement): Middleware;
  /**
   * Route middleware: DPoP (RFC 9449) on this route. `'required'` (the default) refuses
   * bearer tokens with a DPoP challenge; `'disabled'` refuses DPoP tokens. It narrows the
   * guard's `dpop` mode and cannot accept DPoP where the guard does not.
   */
  requireDpop(mode?: 'required' | 'disabled'): Middleware;
}

type ScopeArguments = readonly (string | readonly string[])[];

/** `requireScopes('a', 'b')` and `requireScopes(['a', 'b'])` (the peers' style) alike. */
function scopeArguments(scopes: ScopeArguments): readonly string[] {
  const [first] = scopes;
  // Anything else that is not a string is refused, with its path, by normalizeRequirements.
  return (scopes.length === 1 && Array.isArray(first) ? first : scopes) as readonly string[];
}

/**
 * The helpers, each building `toMiddleware(requirement)`. `nameOf` gives the name the app
 * writes for a helper (`requireScopes` → `@RequireScopes` for decorators), so that a bad
 * argument is reported against what the user wrote.
 */
export function createRequirementHelpers<Middleware>(
  toMiddleware: (route: RouteRequirement) => Middleware,
  nameOf: (helper: keyof RequirementHelpers<Middleware>) => string = (helper) => helper,
): RequirementHelpers<Middleware> {
  const define = (declared: Requirements, kitName: keyof RequirementHelpers<Middleware>) => {
    const helper = nameOf(kitName);
    return toMiddleware({ helper, requirements: normalizeRequirements(declared, `${helper}(…)`) });
  };
  return {
    requireScopes: (...scopes: ScopeArguments) =>
      define({ scopes: scopeArguments(scopes) }, 'requireScopes'),
    requireAnyScope: (...scopes: ScopeArguments) =>
      define({ anyScope: scopeArguments(scopes) }, 'requireAnyScope'),
    requireBrand: (brand) => define({ brand }, 'requireBrand'),
    requireClaims: (predicate) => define({ predicate }, 'requireClaims'),
    requireAuthContext: (authContext) => define({ authContext }, 'requireAuthContext'),
    requireDpop: (mode = 'required') => define({ dpop: mode }, 'requireDpop'),
  };
}

const explained = new WeakSet<RouteRequirement>();

/**
 * Fail closed: a route helper on a request the guard never saw (mounted without the
 * guard, or outside its scope) is a misconfiguration, answered 500. Why is logged once per
 * helper, through the request's logger when the app has one.
 */
export function unguardedAnswer(route: RouteRequirement, log?: unknown): Answer {
  if (!explained.has(route)) {
    explained.add(route);
    const message = `tokenguard: ${route.helper}() ran on a request the guard did not see (mount the guard before it); answered 500`;
    const requestLog: RequestLog | undefined = requestLogOf(log);
    if (requestLog === undefined) consoleLogger.error(message);
    else requestLog.error({}, message);
  }
  const error = new ServerError({ message: 'route requirement without the guard' });
  return {
    status: error.status,
    headers: { ...error.headers, 'content-type': JSON_CONTENT_TYPE },
    body: JSON.stringify(error.body),
  };
}
