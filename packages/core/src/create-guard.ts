/**
 * `createGuard`: the engine every adapter calls, and the one place its parts are composed.
 * The pipeline (after Duende's OAuth2Introspection): extract → cache → single-flight →
 * validate (introspection or local JWT) → cache (positive and negative) → requirements.
 * Outages are never token errors. The parts live in `guard/`: the validation strategy,
 * the refusal step (error mapping, counting, logging) and the metrics.
 */
import { createAuthContext } from './auth-context.js';
import { type CacheLookup, createResultCache } from './cache/create-result-cache.js';
import type { SubjectRevocation } from './cache/create-subject-revocations.js';
import { hashToken } from './cache/hash-token.js';
import { createDiscovery } from './discovery/create-discovery.js';
import {
  type ChallengeSchemes,
  InvalidTokenError,
  isRefusalReason,
  MissingTokenError,
  TokenGuardError,
  UpstreamUnavailableError,
} from './errors.js';
import { kAuthenticateNow, type Pending } from './guard/authenticate-now.js';
import { createEndpointResolver } from './guard/create-endpoint-resolver.js';
import { createGuardMetrics } from './guard/create-guard-metrics.js';
import { createRefusal } from './guard/create-refusal.js';
import { createValidator, type Validator } from './guard/create-validator.js';
import { renderRefusal } from './guard/render-refusal.js';
import type { CallContext, ErrorResponse, GuardMetrics, TokenGuard } from './guard-types.js';
import { checkGuardHealth, type HealthOptions } from './health/check-guard-health.js';
import { authSuccessChannel } from './internal/diagnostics.js';
import { createHttpClient } from './internal/http-client.js';
import { kSettings } from './internal/symbols.js';
import { startTrace, traceValidation } from './internal/trace-validation.js';
import { isLocalBackPressure } from './introspection/create-upstream-limiter.js';
import {
  createIssuerRouter,
  type IssuerRoute,
  type IssuerRouter,
} from './issuers/create-issuer-router.js';
import { summarizeIssuerHealth } from './issuers/summarize-issuer-health.js';
import {
  type PrometheusOptions,
  renderPrometheusMetrics,
} from './metrics/render-prometheus-metrics.js';
import type { GuardOptions } from './options/types.js';
import { authorizeClaims } from './policy/authorize-claims.js';
import { normalizeRequirements } from './policy/normalize-requirements.js';
import { createReplayCache } from './sender-constraint/create-replay-cache.js';
import {
  createSenderConstraint,
  type TokenBinding,
} from './sender-constraint/create-sender-constraint.js';
import { normalizeOptions } from './settings/normalize-options.js';
import { outboundHttpSettings } from './settings/normalize-validation.js';
import {
  checkTokenSyntax,
  extractBearerToken,
  missingTokenReason,
  presentedScheme,
} from './token/extract-bearer-token.js';
import { isCorsPreflight } from './token/is-cors-preflight.js';
import { isSenderConstrained } from './token/is-sender-constrained.js';
import type { AuthContext, RequestLike, Requirements, TokenClaims } from './types.js';
import type { ValidationTrace } from './validation-trace.js';

/**
 * Creates a guard. Every option is validated here; a bad one throws a
 * `TokenGuardConfigError` naming it.
 *
 * @example
 * const guard = createGuard({
 *   introspection: {
 *     endpoint: 'https://identity.example/v1/oauth/introspect',
 *     clientAuth: { method: 'bearer', token: process.env.INTROSPECTION_TOKEN! },
 *   },
 *   scopes: ['orders:read'],
 * });
 * const auth = await guard.authenticate({ method, url, headers });
 */
export function createGuard(options: GuardOptions): TokenGuard {
  const config = normalizeOptions(options);
  const metrics = createGuardMetrics();
  const refuse = createRefusal({
    realm: config.realm,
    resourceMetadata: config.resourceMetadata?.url,
    logger: config.logger,
    metrics,
  });

  const http = createHttpClient({
    ...outboundHttpSettings(config.introspection, config.jwt),
    fetch: config.http.fetch,
    onComplete: metrics.upstreamCompleted,
  });
  const discovery =
    config.issuer === undefined
      ? undefined
      : createDiscovery({
          issuer: config.issuer,
          http,
          allowInsecureHttp: config.allowInsecureHttp,
        });
  const validator =
    config.validation &&
    createValidator(config.validation, {
      http,
      endpoint: createEndpointResolver(discovery),
      clockToleranceSec: config.clockToleranceSec,
      metrics,
    });
  // Several issuers: each with its own discovery, validator, breaker and cache namespace.
  const issuers =
    config.issuers && createIssuerRouter(config.issuers, metrics, config.realm, config.http);
  /** The issuer a single-issuer guard names in the auth context. */
  const guardIssuer = config.issuer ?? config.jwt?.issuer;
  const cache = createResultCache(
    config.cache && {
      ...config.cache,
      namespace: config.namespace,
      logger: config.logger,
      // Only a real upstream outage (503: network, 5xx, timeout, open breaker) may be answered
      // from a stale entry: never a verdict, our own misconfiguration, or our own concurrency
      // cap full of other requests (a junk flood must not bring revoked entries back).
      isOutage: (error) => error instanceof UpstreamUnavailableError && !isLocalBackPressure(error),
    },
    {
      hit: metrics.counter('cacheHits'),
      sharedHit: metrics.counter('sharedHits'),
      miss: metrics.counter('cacheMisses'),
      coalesced: metrics.counter('coalesced'),
      storeHit: metrics.counter('storeHits'),
      storeMiss: metrics.counter('storeMisses'),
      storeError: metrics.counter('storeErrors'),
      storeTimeout: metrics.counter('storeTimeouts'),
      servedStale: metrics.counter('servedStale'),
      eviction: metrics.counter('evictions'),
    },
  );

  // RFC 9449 / RFC 8705: whether the request proves possession of a bound token,
  // checked on every request after the (cached) validation.
  const senderConstraint = createSenderConstraint({
    dpop: {
      ...config.dpop,
      clockToleranceSec: config.clockToleranceSec,
      replay: createReplayCache({
        store: config.cache?.store,
        // A replay check answers from Redis in about a millisecond; the result-cache
        // deadline (tuned for misses) would be too short for a call that must not fail open.
        storeTimeoutMs: Math.max(config.cache?.storeTimeoutMs ?? 0, 500),
        maxEntries: config.dpop.maxReplayEntries,
      }),
    },
    mtls: config.mtls,
    namespace: config.namespace,
  });
  // RFC 9449 §11.1: without a shared store a proof's jti is known to this process only.
  if (config.dpop.mode !== 'disabled' && !config.cache?.store?.add) {
    config.logger.warn(
      config.cache?.store
        ? 'dpop: the cache store has no add(): DPoP proof replay is only detected per instance'
        : 'dpop: no shared cache store: a DPoP proof can be replayed on another instance or after a restart (set cache.store)',
    );
  }
  const dpopChallenge: ChallengeSchemes | undefined =
    config.dpop.mode === 'disabled'
      ? undefined
      : { bearer: config.dpop.mode === 'allowed', dpopAlgs: config.dpop.algorithms.join(' ') };

  /**
   * `refuse`, then the challenge's schemes (RFC 9449 §7.1): the guard's by default, `null`
   * for Bearer only (a route that refuses DPoP).
   */
  function refuseWith(
    error: unknown,
    context: CallContext | undefined,
    schemes: ChallengeSchemes | null | undefined = dpopChallenge,
  ): TokenGuardError {
    return refuse(error, context, schemes ?? undefined);
  }

  /** The challenge of a refusal on `authenticate`: the error goes on the scheme used (§7.1). */
  function schemesFor(scheme: 'Bearer' | 'DPoP'): ChallengeSchemes | undefined {
    return dpopChallenge && scheme === 'DPoP' ? { ...dpopChallenge, presented: 'DPoP' } : undefined;
  }

  /**
   * Validates `token` (cached), then checks the request holds what it is bound to. A cached
   * verdict is answered synchronously: no promise, closure or trace object on the hit path
   * (the adapters take either); a miss, or a DPoP proof to verify, returns a promise.
   */
  function verifyToken(
    token: string,
    request: RequestLike | undefined,
    trace?: ValidationTrace,
    scheme: 'Bearer' | 'DPoP' = 'Bearer',
  ): Pending<AuthContext> {
    if (issuers !== undefined) return verifyWithIssuers(token, request, trace, scheme);
    const key = hashToken(config.namespace, token);
    const single = validator as Validator;
    if (trace !== undefined) {
      trace.strategy = single.strategyOf(token);
      trace.tokenHash = key.slice(0, 8);
    }
    const lookup = cache.getOrValidate(key, () => single.validate(token, trace), trace);
    if (lookup instanceof Promise) {
      return lookup.then((result) =>
        toAuthContext(token, key, result, trace, guardIssuer, request, scheme),
      );
    }
    return toAuthContext(token, key, lookup, trace, guardIssuer, request, scheme);
  }

  /**
   * The issuer is picked first, so each issuer's verdicts live in its own namespace. A
   * configured issuer is picked synchronously, so a cached verdict stays promise-free here too.
   */
  function verifyWithIssuers(
    token: string,
    request: RequestLike | undefined,
    trace: ValidationTrace | undefined,
    scheme: 'Bearer' | 'DPoP',
  ): Pending<AuthContext> {
    const route = (issuers as IssuerRouter).route(token, request);
    return route instanceof Promise
      ? route.then((found) => verifyRouted(token, found, trace, request, scheme))
      : verifyRouted(token, route, trace, request, scheme);
  }

  function verifyRouted(
    token: string,
    route: IssuerRoute,
    trace: ValidationTrace | undefined,
    request: RequestLike | undefined,
    scheme: 'Bearer' | 'DPoP',
  ): Pending<AuthContext> {
    const key = hashToken(route.namespace, token);
    if (trace !== undefined) {
      trace.strategy = route.strategy;
      trace.tokenHash = key.slice(0, 8);
    }
    // The token's guard-wide key goes with the entry: `evict` finds it through it, even once
    // this issuer's unit has left the resolved issuers (or was never held where it runs).
    const lookup = cache.getOrValidate(
      key,
      () => route.validate(trace),
      trace,
      hashToken(config.namespace, token),
    );
    if (lookup instanceof Promise) {
      return lookup.then((result) =>
        toAuthContext(token, key, result, trace, route.issuer, request, scheme),
      );
    }
    return toAuthContext(token, key, lookup, trace, route.issuer, request, scheme);
  }

  function toAuthContext(
    token: string,
    key: string,
    result: CacheLookup,
    trace: ValidationTrace | undefined,
    issuer: string | undefined,
    request: RequestLike | undefined,
    scheme: 'Bearer' | 'DPoP',
  ): Pending<AuthContext> {
    if (trace !== undefined && result.stale === true) trace.stale = true;
    if (result.kind === 'invalid') {
      // A cached refusal keeps its reason (README "Why was my token refused?").
      throw new InvalidTokenError({
        message: `token refused: ${result.reason ?? 'token_inactive'}`,
        reason: isRefusalReason(result.reason) ? result.reason : 'token_inactive',
        realm: config.realm,
      });
    }
    // `jwt.maxTokenAgeSec` holds for cached verdicts too (re-checked on every read).
    if (result.notAfterMs !== undefined && result.notAfterMs <= Date.now()) {
      throw new InvalidTokenError({
        message: 'token refused: iat older than maxTokenAgeSec',
        reason: 'token_too_old',
        realm: config.realm,
      });
    }
    const claims = result.claims as TokenClaims;
    const accepted = (binding: TokenBinding | undefined): AuthContext => {
      if (authSuccessChannel.hasSubscribers) {
        authSuccessChannel.publish({ strategy: result.strategy, tokenHash: key.slice(0, 8) });
      }
      metrics.validated(result.strategy);
      return createAuthContext(
        token,
        claims,
        result.strategy,
        result.stale,
        result.issuer ?? issuer,
        binding,
      );
    };
    if (request === undefined) {
      // `verify(token)` has no request to prove possession with (RFC 9449 §7.2).
      if (isSenderConstrained(claims)) {
        throw new InvalidTokenError({
          message: 'sender-constrained token without a request',
          reason: 'sender_constrained',
        });
      }
      return accepted(undefined);
    }
    const checked = senderConstraint.check(request, scheme, token, claims);
    return checked instanceof Promise ? checked.then(accepted) : accepted(checked);
  }

  /** Refusals are thrown synchronously on the synchronous path, rejected on the other. */
  function authenticate(
    request: RequestLike,
    context?: CallContext,
    trace?: ValidationTrace,
  ): Pending<AuthContext | undefined> {
    let auth: Pending<AuthContext>;
    let scheme: 'Bearer' | 'DPoP' = 'Bearer';
    try {
      // A CORS preflight carries no credentials by design (Fetch §3.2.2). Passed on only when
      // the app opted in; otherwise the adapters answer it before calling here, and a direct
      // caller gets the refusal any request without a token gets.
      if (config.passCorsPreflight && isCorsPreflight(request)) return undefined;
      const token = extractBearerToken(request, config.extraction);
      if (token === undefined) {
        if (context?.optional ?? config.optional) return undefined;
        throw new MissingTokenError({
          realm: config.realm,
          reason: missingTokenReason(request, config.extraction),
        });
      }
      if (dpopChallenge !== undefined) scheme = presentedScheme(request);
      auth = verifyToken(token, request, trace, scheme);
    } catch (error) {
      throw refuseWith(error, context, schemesFor(scheme));
    }
    if (auth instanceof Promise || !config.requirements.isEmpty) {
      return settle(auth, request, context, scheme);
    }
    return auth;
  }

  async function settle(
    pending: Pending<AuthContext>,
    request: RequestLike,
    context: CallContext | undefined,
    scheme: 'Bearer' | 'DPoP',
  ): Promise<AuthContext> {
    try {
      const auth = await pending;
      if (!config.requirements.isEmpty)
        await authorizeClaims(auth, config.requirements, request, config.realm);
      return auth;
    } catch (error) {
      throw refuseWith(error, context, schemesFor(scheme));
    }
  }

  /** The adapters' entry: `authenticate` without the promise a cached verdict does not need. */
  function authenticateNow(
    request: RequestLike,
    context?: CallContext,
  ): Pending<AuthContext | undefined> {
    const trace = startTrace('authenticate');
    if (trace === undefined) return authenticate(request, context);
    return traceValidation(trace, async () => authenticate(request, context, trace));
  }

  async function verify(
    token: string,
    context?: CallContext,
    trace?: ValidationTrace,
  ): Promise<AuthContext> {
    try {
      return await verifyToken(checkTokenSyntax(token, config.extraction), undefined, trace);
    } catch (error) {
      throw refuse(error, context);
    }
  }

  const guard: TokenGuard = {
    realm: config.realm,
    resourceMetadata: config.resourceMetadata,

    // Traced only while someone subscribes to `tokenguard:validate` (one property read).
    async authenticate(request: RequestLike, context?: CallContext) {
      return authenticateNow(request, context);
    },

    verify(token: string, context?: CallContext) {
      const trace = startTrace('verify');
      if (trace === undefined) return verify(token, context);
      return traceValidation(trace, () => verify(token, context, trace));
    },

    async authorize(
      auth: AuthContext | undefined,
      requirements: Requirements,
      request: RequestLike,
      context?: CallContext,
    ) {
      try {
        // Fail closed: a route requirement never passes a request the guard did not
        // authenticate (an opted-in preflight, an optional route without a token).
        if (auth === undefined) throw new MissingTokenError({ realm: config.realm });
        await authorizeClaims(auth, normalizeRequirements(requirements), request, config.realm);
      } catch (error) {
        // A route that requires DPoP challenges with DPoP only (RFC 9449 §7.1).
        throw refuseWith(
          error,
          context,
          requirements.dpop === 'required'
            ? {
                bearer: false,
                dpopAlgs: config.dpop.algorithms.join(' '),
                presented: auth?.binding === 'dpop' ? 'DPoP' : 'Bearer',
              }
            : requirements.dpop === 'disabled'
              ? null
              : dpopChallenge && auth?.binding === 'dpop'
                ? { ...dpopChallenge, presented: 'DPoP' }
                : undefined,
        );
      }
    },

    errorResponse(error: unknown): ErrorResponse {
      return renderRefusal(error instanceof TokenGuardError ? error : refuse(error), {
        realm: config.realm,
        resourceMetadata: config.resourceMetadata?.url,
        errorDescriptions: config.errorDescriptions,
      });
    },

    async evict(token: string) {
      // Any string may be evicted (a revocation webhook passes what it was given); only its
      // hash is used, as for every cache key.
      if (typeof token !== 'string' || token === '') return;
      // With several issuers a token's entry lives under its issuer's namespace (or the
      // in-order one, the guard's): each entry carries the guard-wide key, which reaches
      // them all, on every instance, whichever issuers each holds.
      await cache.evict(hashToken(config.namespace, token));
    },

    async evictSubject(sub: string, revocation?: SubjectRevocation) {
      if (typeof sub !== 'string' || sub === '') return;
      if (revocation !== undefined && !isRevocation(revocation)) {
        throw new TypeError(
          'tokenguard: evictSubject(sub, revocation): revocation must be { issuedBeforeMs, keepMs } with finite, non-negative numbers',
        );
      }
      await cache.evictSubject(sub, revocation);
    },

    metrics(): GuardMetrics {
      const snapshot =
        issuers === undefined
          ? metrics.snapshot((validator as Validator).breakerState)
          : { ...metrics.snapshot(issuers.breakerState), issuers: issuers.metrics() };
      const store = cache.storeMetrics();
      return store === undefined ? snapshot : { ...snapshot, store: { ...store } };
    },

    metricsText(options?: PrometheusOptions) {
      return renderPrometheusMetrics(guard.metrics(), options);
    },

    async health(options?: HealthOptions) {
      const store = config.cache?.store === undefined ? undefined : cache.storeHealth;
      if (issuers !== undefined) {
        const [own, byIssuer] = await Promise.all([
          checkGuardHealth({ store }, options),
          issuers.health(options),
        ]);
        const health = summarizeIssuerHealth(own, byIssuer);
        if (options?.summary !== true) return health;
        // Public readiness routes: the worst state of each check, no issuer URLs.
        const { issuers: _byIssuer, ...summary } = health;
        return summary;
      }
      const { keys, breaker, probeIntrospection } = (validator as Validator).health;
      return checkGuardHealth(
        {
          discovery,
          jwt: keys,
          // After the cooldown the next request is let through as the probe: reported as
          // half-open (ready), or a readiness check would keep traffic, and so the probe, away.
          breaker: breaker && (() => (breaker.probeDue ? 'half-open' : breaker.state)),
          store,
          probeIntrospection,
        },
        options,
      );
    },

    async ready() {
      await cache.ready();
      if (discovery !== undefined) await discovery.metadata();
      await issuers?.ready();
    },

    async close() {
      validator?.close();
      await issuers?.close();
      await cache.close();
      await http.close();
    },
  };
  return Object.freeze(
    Object.assign(guard, {
      [kAuthenticateNow]: authenticateNow,
      [kSettings]: config,
    }),
  );
}

function isRevocation(value: SubjectRevocation): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Number.isFinite(value.issuedBeforeMs) &&
    Number.isFinite(value.keepMs) &&
    value.keepMs > 0
  );
}
