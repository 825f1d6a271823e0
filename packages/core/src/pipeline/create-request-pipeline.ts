/**
 * The request path, one stage after another, each its own module:
 *
 *   extract → pick the issuer → verdict (local tier → shared tier → single-flight →
 *   strategy) → sender constraint → auth context → requirements
 *
 * (the auth context comes before the requirements because a predicate is a function of
 * it). Every stage returns a value when it can and a promise only when it must wait, so a
 * cached verdict of a plain bearer token is answered synchronously end to end: the
 * adapters take either. Whatever a stage throws is refused once, here.
 */

import { MissingTokenError } from '../errors.js';
import type { Pending } from '../guard/authenticate-now.js';
import type { Refuse } from '../guard/create-refusal.js';
import type { CallContext } from '../guard-types.js';
import { startTrace, traceValidation } from '../internal/trace-validation.js';
import type { IssuerRouter } from '../issuers/create-issuer-router.js';
import type { IssuerRoute } from '../issuers/create-issuer-unit.js';
import { authorizeClaims } from '../policy/authorize-claims.js';
import { normalizeRequirements } from '../policy/normalize-requirements.js';
import { checkTokenSyntax, type ExtractionSettings } from '../token/extract-bearer-token.js';
import type { AuthContext, RequestLike, Requirements, TokenClaims } from '../types.js';
import type { ValidationTrace } from '../validation-trace.js';
import type { AuthContextStage } from './auth-context-stage.js';
import type { ChallengeSchemesOf } from './challenge-schemes.js';
import type { ExtractStage, PresentedScheme } from './extract-stage.js';
import type { RequirementsStage } from './requirements-stage.js';
import type { SenderConstraintStage } from './sender-constraint-stage.js';
import type { Accepted, VerdictStage } from './verdict-stage.js';

export interface PipelineStages {
  readonly extract: ExtractStage;
  /** Pick the issuer: a single issuer is a router of one. */
  readonly issuers: IssuerRouter;
  readonly verdict: VerdictStage;
  readonly senderConstraint: SenderConstraintStage;
  readonly authContext: AuthContextStage;
  readonly requirements: RequirementsStage;
  /** Turns whatever a stage threw into the guard's refusal (counted, logged). */
  readonly refuse: Refuse;
  readonly schemes: ChallengeSchemesOf;
  /** Token syntax limits for `verify(token)`, which extracts nothing. */
  readonly syntax: ExtractionSettings;
  readonly realm: string;
}

export interface RequestPipeline {
  /** The adapters' entry: a cached verdict as a value (or a synchronous throw), a miss as a promise. */
  authenticateNow(request: RequestLike, context?: CallContext): Pending<AuthContext | undefined>;
  /** `verify(token)`: the same stages from the issuer on, without a request. */
  verify(token: string, context?: CallContext): Promise<AuthContext>;
  /** A route's requirement, checked against an authenticated request. */
  authorize(
    auth: AuthContext | undefined,
    requirements: Requirements,
    request: RequestLike,
    context?: CallContext,
  ): Promise<void>;
}

/**
 * @example
 * const pipeline = createRequestPipeline({ extract, issuers, verdict, senderConstraint, authContext, requirements, refuse, schemes, syntax, realm });
 * const auth = await pipeline.authenticateNow(request);
 */
export function createRequestPipeline(stages: PipelineStages): RequestPipeline {
  const { extract, issuers, verdict, senderConstraint, requirements, refuse, schemes } = stages;

  /** From the issuer on: the token's route, its verdict, possession, the auth context. */
  function validate(
    token: string,
    request: RequestLike | undefined,
    scheme: PresentedScheme,
    trace: ValidationTrace | undefined,
  ): Pending<AuthContext> {
    const route = issuers.route(token, request);
    return route instanceof Promise
      ? route.then((found) => atIssuer(token, found, request, scheme, trace))
      : atIssuer(token, route, request, scheme, trace);
  }

  function atIssuer(
    token: string,
    route: IssuerRoute,
    request: RequestLike | undefined,
    scheme: PresentedScheme,
    trace: ValidationTrace | undefined,
  ): Pending<AuthContext> {
    const accepted = verdict(token, route, trace);
    return accepted instanceof Promise
      ? accepted.then((found) => possessed(token, route, found, request, scheme))
      : possessed(token, route, accepted, request, scheme);
  }

  function possessed(
    token: string,
    route: IssuerRoute,
    accepted: Accepted,
    request: RequestLike | undefined,
    scheme: PresentedScheme,
  ): Pending<AuthContext> {
    const binding = senderConstraint(request, scheme, token, accepted.claims as TokenClaims);
    return binding instanceof Promise
      ? binding.then((bound) => stages.authContext(token, route, accepted, bound))
      : stages.authContext(token, route, accepted, binding);
  }

  /** Refusals are thrown synchronously on the synchronous path, rejected on the other. */
  function authenticate(
    request: RequestLike,
    context: CallContext | undefined,
    trace?: ValidationTrace,
  ): Pending<AuthContext | undefined> {
    let auth: Pending<AuthContext>;
    let scheme: PresentedScheme = 'Bearer';
    try {
      const token = extract.token(request, context);
      if (token === undefined) return undefined;
      scheme = extract.scheme(request);
      auth = validate(token, request, scheme, trace);
    } catch (error) {
      throw refuse(error, context, schemes.presented(scheme));
    }
    if (auth instanceof Promise || !requirements.isEmpty || context?.requirements !== undefined) {
      return settle(auth, request, context, scheme);
    }
    return auth;
  }

  async function settle(
    pending: Pending<AuthContext>,
    request: RequestLike,
    context: CallContext | undefined,
    scheme: PresentedScheme,
  ): Promise<AuthContext> {
    let auth: AuthContext;
    try {
      auth = await pending;
    } catch (error) {
      throw refuse(error, context, schemes.presented(scheme));
    }
    const route = context?.requirements;
    if (requirements.isEmpty && route === undefined) return auth;
    try {
      await requirements.check(auth, request, route);
      return auth;
    } catch (error) {
      // A route that requires DPoP challenges with DPoP only (RFC 9449 §7.1).
      throw refuse(
        error,
        context,
        route === undefined ? schemes.presented(scheme) : schemes.route(route.dpop, auth.binding),
      );
    }
  }

  async function verify(
    token: string,
    context: CallContext | undefined,
    trace?: ValidationTrace,
  ): Promise<AuthContext> {
    try {
      return await validate(checkTokenSyntax(token, stages.syntax), undefined, 'Bearer', trace);
    } catch (error) {
      throw refuse(error, context);
    }
  }

  return {
    // Traced only while someone subscribes to `tokenguard:validate` (one property read).
    authenticateNow(request, context) {
      const trace = startTrace('authenticate');
      if (trace === undefined) return authenticate(request, context);
      return traceValidation(trace, async () => authenticate(request, context, trace));
    },

    verify(token, context) {
      const trace = startTrace('verify');
      if (trace === undefined) return verify(token, context);
      return traceValidation(trace, () => verify(token, context, trace));
    },

    async authorize(auth, required, request, context) {
      try {
        // Fail closed: a route requirement never passes a request the guard did not
        // authenticate (an opted-in preflight, an optional route without a token).
        if (auth === undefined) throw new MissingTokenError({ realm: stages.realm });
        await authorizeClaims(auth, normalizeRequirements(required), request, stages.realm);
      } catch (error) {
        // A route that requires DPoP challenges with DPoP only (RFC 9449 §7.1).
        throw refuse(error, context, schemes.route(required.dpop, auth?.binding));
      }
    },
  };
}
