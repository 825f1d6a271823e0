/**
 * `createGuard`: resolves the options once and wires the parts; it decides nothing itself.
 *
 * The request path is a pipeline of named stages (`pipeline/`), each its own module:
 * extract → pick the issuer → verdict (local tier → shared tier → single-flight →
 * strategy) → sender constraint → auth context → requirements. A single issuer is a
 * router of one (`issuers/`), built by the same issuer unit as each of several issuers.
 * What operators call (eviction, metrics, health, shutdown) lives in `guard/`.
 */
import { createResultCache } from './cache/create-result-cache.js';
import { UpstreamUnavailableError } from './errors.js';
import { kAuthenticateNow } from './guard/authenticate-now.js';
import { cacheCountersOf, createGuardMetrics } from './guard/create-guard-metrics.js';
import { createGuardOperations } from './guard/create-guard-operations.js';
import { createRefusal } from './guard/create-refusal.js';
import type { TokenGuard } from './guard-types.js';
import { kSettings } from './internal/symbols.js';
import { isLocalBackPressure } from './introspection/create-upstream-limiter.js';
import { createIssuerRouter } from './issuers/create-issuer-router.js';
import type { GuardOptions } from './options/types.js';
import { createAuthContextStage } from './pipeline/auth-context-stage.js';
import { createChallengeSchemes } from './pipeline/challenge-schemes.js';
import { createRequestPipeline } from './pipeline/create-request-pipeline.js';
import { createExtractStage } from './pipeline/extract-stage.js';
import { createRequirementsStage } from './pipeline/requirements-stage.js';
import { createSenderConstraintStage } from './pipeline/sender-constraint-stage.js';
import { createVerdictStage } from './pipeline/verdict-stage.js';
import { normalizeOptions } from './settings/normalize-options.js';

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
  const { realm, namespace, logger } = config;
  const metrics = createGuardMetrics();
  const refuse = createRefusal({
    realm,
    resourceMetadata: config.resourceMetadata?.url,
    logger,
    metrics,
  });
  // Each issuer (one, or several) with its own pool, discovery, validator and breaker.
  const issuers = createIssuerRouter(config.issuers, { metrics, realm });
  const cache = createResultCache(
    config.cache && {
      ...config.cache,
      namespace,
      logger,
      // Only a real upstream outage (503: network, 5xx, timeout, open breaker) may be answered
      // from a stale entry: never a verdict, our own misconfiguration, or our own concurrency
      // cap full of other requests (a junk flood must not bring revoked entries back).
      isOutage: (error) => error instanceof UpstreamUnavailableError && !isLocalBackPressure(error),
    },
    cacheCountersOf(metrics),
  );
  const pipeline = createRequestPipeline({
    extract: createExtractStage({ ...config, dpop: config.dpop.mode !== 'disabled' }),
    issuers,
    verdict: createVerdictStage({ cache, namespace, realm }),
    senderConstraint: createSenderConstraintStage({
      ...config,
      store: config.cache?.store,
      storeTimeoutMs: config.cache?.storeTimeoutMs,
    }),
    authContext: createAuthContextStage(metrics),
    requirements: createRequirementsStage(config.requirements, realm),
    refuse,
    schemes: createChallengeSchemes(config.dpop),
    syntax: config.extraction,
    realm,
  });
  const guard: TokenGuard = {
    realm,
    resourceMetadata: config.resourceMetadata,
    async authenticate(request, context) {
      return pipeline.authenticateNow(request, context);
    },
    verify: pipeline.verify,
    authorize: pipeline.authorize,
    ...createGuardOperations(config, { cache, issuers, metrics, refuse }),
  };
  return Object.freeze(
    Object.assign(guard, {
      [kAuthenticateNow]: pipeline.authenticateNow,
      [kSettings]: config,
    }),
  );
}
