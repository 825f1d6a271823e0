/**
 * One issuer's machinery: its own HTTP pool, discovery, validator (with its own circuit
 * breaker) and counters, so one issuer's outage never slows or opens another's. A
 * single-issuer guard is built from the same unit: one code path for one issuer and many.
 */
import type { CachedResult } from '../cache/cache-store.js';
import { createDiscovery } from '../discovery/create-discovery.js';
import { createEndpointResolver } from '../guard/create-endpoint-resolver.js';
import { createGuardMetrics, type GuardMetricsRecorder } from '../guard/create-guard-metrics.js';
import { createValidator } from '../guard/create-validator.js';
import type { IssuerMetrics } from '../guard-types.js';
import type { BreakerState, HealthSources } from '../health/check-guard-health.js';
import { createHttpClient } from '../internal/http-client.js';
import type { NormalizedIssuer } from '../settings/normalize-issuers.js';
import type { ValidationStrategy } from '../types.js';
import type { ValidationTrace } from '../validation-trace.js';

/**
 * Where a token goes once its issuer is picked: the cache namespace of its verdict, and the
 * strategy that reaches the verdict. Built once per issuer, so picking allocates nothing.
 */
export interface IssuerRoute {
  readonly namespace: string;
  /** The issuer, when known before validation (a JWT's, the selected one, the only one). */
  readonly issuer: string | undefined;
  /** The strategy `validate` will use for this token (decided by its shape alone). */
  strategyOf(token: string): ValidationStrategy;
  /** A verdict on `token` (`invalid` for any token problem); throws on an outage. */
  validate(token: string, trace?: ValidationTrace): Promise<CachedResult>;
}

export interface IssuerUnit extends IssuerRoute {
  /** The issuer identifier this unit is held under (`undefined` only for a guard naming none). */
  readonly id: string | undefined;
  /** Whether this issuer introspects opaque tokens (strategy `introspection` or `auto`). */
  readonly introspects: boolean;
  /** The introspection breaker's state (`closed` without introspection). */
  readonly breakerState: BreakerState;
  /** What `guard.health()` reads for this issuer (its discovery, key set, breaker). */
  readonly health: HealthSources;
  metrics(): IssuerMetrics;
  /** Resolves once this issuer's discovery (if any) succeeded. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface IssuerUnitDependencies {
  /** The guard's counters: this unit counts into them and into its own record. */
  readonly metrics: GuardMetricsRecorder;
  /** Called after each valid verdict (a resolved issuer on probation is then proven). */
  readonly onValid?: () => void;
}

/**
 * @example
 * const unit = createIssuerUnit(entry, { metrics });
 * const result = await unit.validate(token);
 */
export function createIssuerUnit(
  entry: NormalizedIssuer,
  deps: IssuerUnitDependencies,
): IssuerUnit {
  const { validation } = entry;
  const guardMetrics = deps.metrics;
  const introspection = validation.strategy === 'jwt' ? undefined : validation.introspection;
  const jwt = validation.strategy === 'introspection' ? undefined : validation.jwt;
  // This issuer's `http` (its own over the guard's): every call it makes.
  const http = createHttpClient({ ...entry.http, onComplete: guardMetrics.upstreamCompleted });
  const needsDiscovery =
    entry.alwaysDiscover === true ||
    (introspection !== undefined && introspection.endpoint === undefined) ||
    (jwt !== undefined && jwt.jwksUri === undefined && jwt.keySource === 'jwks');
  const discovery =
    entry.issuer === undefined
      ? undefined
      : createDiscovery({
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
  const onValid = deps.onValid;
  return {
    id: entry.issuer,
    namespace: entry.namespace,
    // A JWT-only guard without `issuer` still names the `iss` it requires.
    issuer: entry.issuer ?? jwt?.issuer,
    introspects: introspection !== undefined,
    strategyOf: validator.strategyOf,
    validate:
      onValid === undefined
        ? validator.validate
        : async (token, trace) => {
            const result = await validator.validate(token, trace);
            if (result.kind === 'valid') onValid();
            return result;
          },
    get breakerState() {
      return validator.breakerState;
    },
    health: {
      discovery: needsDiscovery ? discovery : undefined,
      jwt: keys,
      // Past the cooldown the next request is let through as the probe: reported as
      // half-open (ready), or a readiness check would keep traffic, and so the probe, away.
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
      if (needsDiscovery) await discovery?.metadata();
    },
    async close() {
      validator.close();
      await http.close();
    },
  };
}
