/**
 * One issuer's machinery: its own HTTP pool, discovery, validator (with its own circuit
 * breaker) and counters, so one issuer's outage never slows or opens another's.
 */
import { createDiscovery } from '../discovery/create-discovery.js';
import { createEndpointResolver } from '../guard/create-endpoint-resolver.js';
import { createGuardMetrics, type GuardMetricsRecorder } from '../guard/create-guard-metrics.js';
import { createValidator, type Validator } from '../guard/create-validator.js';
import type { IssuerMetrics } from '../guard-types.js';
import type { HealthSources } from '../health/check-guard-health.js';
import { createHttpClient, type OutboundSettings } from '../internal/http-client.js';
import type { NormalizedIssuer } from '../settings/normalize-issuers.js';
import { outboundHttpSettings } from '../settings/normalize-validation.js';

export interface IssuerUnit {
  readonly issuer: string;
  readonly namespace: string;
  /** Whether this issuer introspects opaque tokens (strategy `introspection` or `auto`). */
  readonly introspects: boolean;
  readonly validator: Validator;
  /** What `guard.health()` reads for this issuer (its discovery, key set, breaker). */
  readonly health: HealthSources;
  metrics(): IssuerMetrics;
  /** Resolves once this issuer's discovery (if any) succeeded. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/**
 * @example
 * const unit = createIssuerUnit(entry, guardMetrics);
 * const result = await unit.validator.validate(token);
 */
export function createIssuerUnit(
  entry: NormalizedIssuer,
  guardMetrics: GuardMetricsRecorder,
  outbound?: OutboundSettings,
): IssuerUnit {
  const { validation } = entry;
  const introspection = validation.strategy === 'jwt' ? undefined : validation.introspection;
  const jwt = validation.strategy === 'introspection' ? undefined : validation.jwt;
  const http = createHttpClient({
    ...outboundHttpSettings(introspection, jwt),
    fetch: outbound?.fetch,
    onComplete: guardMetrics.upstreamCompleted,
  });
  const needsDiscovery =
    (introspection !== undefined && introspection.endpoint === undefined) ||
    (jwt !== undefined && jwt.jwksUri === undefined && jwt.keySource === 'jwks');
  const discovery = createDiscovery({
    issuer: entry.issuer,
    http,
    allowInsecureHttp: entry.allowInsecureHttp,
  });
  // Counts go to this issuer's record and to the guard's totals.
  const own = createGuardMetrics();
  const metrics: GuardMetricsRecorder = {
    counter(name) {
      const total = guardMetrics.counter(name);
      const mine = own.counter(name);
      return () => {
        total();
        mine();
      };
    },
    refusal: (code, reason) => guardMetrics.refusal(code, reason),
    validated: (strategy) => guardMetrics.validated(strategy),
    upstreamCompleted: (purpose, durationMs) => guardMetrics.upstreamCompleted(purpose, durationMs),
    snapshot: (state) => own.snapshot(state),
  };
  const validator = createValidator(validation, {
    http,
    endpoint: createEndpointResolver(discovery),
    clockToleranceSec: entry.clockToleranceSec,
    metrics,
  });
  const { keys, breaker, probeIntrospection } = validator.health;
  return {
    issuer: entry.issuer,
    namespace: entry.namespace,
    introspects: introspection !== undefined,
    validator,
    health: {
      discovery: needsDiscovery ? discovery : undefined,
      jwt: keys,
      // As for a single issuer: past the cooldown the next request is the probe (half-open).
      breaker: breaker && (() => (breaker.probeDue ? 'half-open' : breaker.state)),
      probeIntrospection,
    },
    metrics() {
      const {
        upstreamCalls,
        jwksFetches,
        tokenEndpointCalls,
        rejectedByConcurrencyCap,
        rejectedByBreaker,
      } = own.snapshot(validator.breakerState);
      return {
        upstreamCalls,
        jwksFetches,
        tokenEndpointCalls,
        rejectedByConcurrencyCap,
        rejectedByBreaker,
        breakerState: validator.breakerState,
      };
    },
    async ready() {
      if (needsDiscovery) await discovery.metadata();
    },
    async close() {
      validator.close();
      await http.close();
    },
  };
}
