/**
 * The route decorators: the other adapters' route helpers under their Nest names
 * (`@RequireScopes` for `requireScopes`, …), plus `@Public()`, `@OptionalAuth()` and the
 * `@Auth()` parameter. Requirements are checked where they are declared (a typo fails when
 * the controller's module loads) and kept here, not in Reflect metadata, so nothing else can
 * change them. A handler's declaration overrides its controller's, kind by kind, and a
 * controller's are inherited by its subclasses.
 */

import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  UseGuards,
} from '@nestjs/common';
import type { AuthContext, Requirements } from '@tokenguard/core';
import {
  adapterOf,
  createRequirementHelpers,
  type NormalizedRequirements,
  normalizeRequirements,
  type RequirementHelpers,
  type RouteRequirement,
  unguardedAnswer,
} from '@tokenguard/core/adapter-kit';
import { answered, requestLog, requestOf, write } from './respond.js';

/** A decorator for a controller (every handler) or one handler. */
export type RouteDecorator = ClassDecorator & MethodDecorator;

/** How a route is guarded, once its handler's and controller's declarations are combined. */
export interface ResolvedRoute {
  /** `public`: the guard does not run; `optional`: no token is fine, a bad one is not. */
  readonly access: 'public' | 'optional' | 'required';
  readonly requirements: NormalizedRequirements | undefined;
  /**
   * On an `optional` route: requirements were declared beside `@OptionalAuth()` (or below
   * it), so a request without a token is refused by them, as every route helper refuses one.
   */
  readonly requiredWithoutToken: boolean;
}

interface Declared {
  readonly access?: 'public' | 'optional';
  /** Only the kinds declared at this level (scopes, brand, …). */
  readonly requirements?: Requirements;
  /** Requirements declared at the level of `@OptionalAuth()`, or below it. */
  readonly besideOptional?: boolean;
}

const declared = new WeakMap<object, Declared>();

function declare(update: (current: Declared) => Declared): RouteDecorator {
  return ((target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const on = (descriptor?.value as object | undefined) ?? target;
    declared.set(on, update(declared.get(on) ?? {}));
  }) as RouteDecorator;
}

/**
 * The route skips the guard: no token is looked for and `@Auth()` is `undefined`. For
 * health probes, webhooks with their own authentication, public documents.
 */
export function Public(): RouteDecorator {
  return declare((current) => ({ ...current, access: 'public' }));
}

/** A request without a token reaches the handler (with no auth); a bad token is still refused. */
export function OptionalAuth(): RouteDecorator {
  return declare((current) => ({ ...current, access: 'optional' }));
}

const requirementDecorator = (route: RouteRequirement): RouteDecorator => {
  const onlyDeclared = definedKinds(route.requirements);
  // Fails closed where the global guard is missing (TokenGuardModule not imported): this
  // check answers 500 on a request the guard did not see, as the other adapters' helpers do.
  const check = UseGuards(new GuardPresence(route));
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    declare((current) => ({
      ...current,
      requirements: { ...current.requirements, ...onlyDeclared },
    }))(target, key as string | symbol, descriptor as PropertyDescriptor);
    (check as (...args: unknown[]) => void)(target, key, descriptor);
  }) as RouteDecorator;
};

/** `requireScopes` → `@RequireScopes`: errors name the decorator the app wrote. */
const decoratorName = (helper: string) => `@${helper.charAt(0).toUpperCase()}${helper.slice(1)}`;

const helpers: RequirementHelpers<RouteDecorator> = createRequirementHelpers(
  requirementDecorator,
  decoratorName,
);

/** The token must carry every one of `scopes` (RFC 6749 §3.3); else 403 `insufficient_scope`. */
export const RequireScopes: RequirementHelpers<RouteDecorator>['requireScopes'] =
  helpers.requireScopes;
/** The token must carry at least one of `scopes`. */
export const RequireAnyScope: RequirementHelpers<RouteDecorator>['requireAnyScope'] =
  helpers.requireAnyScope;
/**
 * The token's own `brand` claim must be `brand` (a brand, a list, or a function of the
 * request). Nothing in the request can supply the token's brand.
 */
export const RequireBrand: RequirementHelpers<RouteDecorator>['requireBrand'] =
  helpers.requireBrand;
/** A custom predicate on the validated token; `false` answers 403. */
export const RequireClaims: RequirementHelpers<RouteDecorator>['requireClaims'] =
  helpers.requireClaims;
/**
 * RFC 9470 step-up: the token's `acr` must be one of `acr` and its `auth_time` at most
 * `maxAgeSec` old; otherwise 401 `insufficient_user_authentication`.
 */
export const RequireAuthContext: RequirementHelpers<RouteDecorator>['requireAuthContext'] =
  helpers.requireAuthContext;
/** DPoP (RFC 9449) on this route: `'required'` (default) or `'disabled'`. */
export const RequireDpop: RequirementHelpers<RouteDecorator>['requireDpop'] = helpers.requireDpop;

/**
 * The validated token's auth context, or `undefined` on a `@Public()` route and on an
 * `@OptionalAuth()` route reached without a token. The same object is on `request.auth`.
 *
 * @example
 * @Get('orders') list(@Auth() auth: AuthContext) { return auth.claims.sub; }
 */
export const Auth: () => ParameterDecorator = createParamDecorator(
  (_data: unknown, context: ExecutionContext): AuthContext | undefined => {
    const request = requestOf(context);
    return adapterOf(request)?.authOf(request);
  },
);

const resolved = new WeakMap<object, WeakMap<object, ResolvedRoute>>();

/** The route's access and requirements: the handler's declarations over its controller's. */
export function resolveRoute(controller: object, handler: object): ResolvedRoute {
  let byController = resolved.get(handler);
  if (byController === undefined) {
    byController = new WeakMap();
    resolved.set(handler, byController);
  }
  let route = byController.get(controller);
  if (route === undefined) {
    const level = combine(declared.get(handler) ?? {}, classLevel(controller));
    const requirements = normalizeRequirements(level.requirements ?? {}, 'route');
    const access = level.access ?? 'required';
    route = Object.freeze({
      access,
      requirements: requirements.isEmpty ? undefined : requirements,
      requiredWithoutToken: access === 'optional' && level.besideOptional === true,
    });
    byController.set(controller, route);
  }
  return route;
}

/** A controller's declarations over those it inherits. */
function classLevel(controller: object): Declared {
  const parent = Object.getPrototypeOf(controller) as object | null;
  const inherited = parent === null || parent === Function.prototype ? {} : classLevel(parent);
  return combine(declared.get(controller) ?? {}, inherited);
}

/**
 * `over` wins kind by kind; a level that declares requirements but no access requires a
 * token, even below a `@Public()` or `@OptionalAuth()` one. `@OptionalAuth()` lifts, for a
 * request without a token, what the levels above it require, not what is declared beside it.
 */
function combine(over: Declared, under: Declared): Declared {
  const access = over.access ?? (over.requirements === undefined ? under.access : undefined);
  const requirements =
    over.requirements === undefined && under.requirements === undefined
      ? undefined
      : { ...under.requirements, ...over.requirements };
  const besideOptional =
    over.access === 'optional'
      ? over.requirements !== undefined
      : over.access === undefined && over.requirements === undefined
        ? under.besideOptional
        : undefined;
  return { access, requirements, besideOptional };
}

function definedKinds(requirements: NormalizedRequirements): Requirements {
  const kinds: Record<string, unknown> = {};
  for (const [kind, value] of Object.entries(requirements)) {
    if (kind !== 'isEmpty' && value !== undefined) kinds[kind] = value;
  }
  return kinds as Requirements;
}

/** Passes a request the global guard tagged, or a public route; answers 500 otherwise. */
class GuardPresence implements CanActivate {
  readonly #route: RouteRequirement;

  constructor(route: RouteRequirement) {
    this.#route = route;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = requestOf(context);
    if (adapterOf(request) !== undefined) return true;
    if (resolveRoute(context.getClass(), context.getHandler()).access === 'public') return true;
    write(context, unguardedAnswer(this.#route, requestLog(request)));
    return answered();
  }
}
