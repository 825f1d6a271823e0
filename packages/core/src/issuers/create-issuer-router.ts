/**
 * Picks the one issuer that validates a token. A JWT names its issuer: its `iss` is read
 * before verification only to choose among the issuers the application trusts, compared
 * exactly; an `iss` nobody configured is a 401 and never causes a request (no metadata or
 * key set is ever fetched from a URL a token chose). An opaque token names none: the
 * application's `selectIssuer(request)` picks, or the configured issuers are tried in order.
 */
import { decodeJwt } from 'jose';
import { InvalidTokenError, ServerError } from '../errors.js';
import type { GuardMetricsRecorder } from '../guard/create-guard-metrics.js';
import type { IssuerMetrics } from '../guard-types.js';
import {
  type BreakerState,
  checkGuardHealth,
  type GuardHealth,
  type HealthOptions,
  type HealthSources,
} from '../health/check-guard-health.js';
import { isJwtRouted } from '../jwt/is-jwt-routed.js';
import type { NormalizedIssuers } from '../settings/normalize-issuers.js';
import type { RequestLike } from '../types.js';
import { createIssuerUnit, type IssuerRoute, type IssuerUnit } from './create-issuer-unit.js';
import { createResolvedIssuers } from './create-resolved-issuers.js';
import { summarizeIssuerHealth } from './summarize-issuer-health.js';

export interface IssuerRouter {
  /**
   * The route of `token`: synchronous for a configured issuer (so a cached verdict stays
   * promise-free), a promise while `resolveIssuer` sets a new one up. Throws
   * `InvalidTokenError` for an issuer nobody trusts.
   */
  route(token: string, request: RequestLike | undefined): IssuerRoute | Promise<IssuerRoute>;
  /** Per-issuer counters and breaker states; `undefined` for a single issuer (the guard's own). */
  metrics(): Readonly<Record<string, IssuerMetrics>> | undefined;
  /**
   * The guard's health from its own `sources` (the store) and each issuer's: for a single
   * issuer, that issuer's checks; for several, the worst of each check and `issuers`.
   */
  health(sources: HealthSources, options?: HealthOptions): Promise<GuardHealth>;
  /** The worst breaker state among the issuers (open, then half-open, then closed). */
  readonly breakerState: BreakerState;
  /** Discovery of every configured issuer. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export interface IssuerRouterDependencies {
  readonly metrics: GuardMetricsRecorder;
  readonly realm?: string;
}

/**
 * @example
 * const router = createIssuerRouter(config.issuers, { metrics });
 * const route = await router.route(token, request);
 */
export function createIssuerRouter(
  settings: NormalizedIssuers,
  deps: IssuerRouterDependencies,
): IssuerRouter {
  const { realm, metrics: guardMetrics } = deps;
  const unitDeps = { metrics: guardMetrics };
  const configured = new Map<string | undefined, IssuerUnit>();
  for (const entry of settings.entries) {
    configured.set(entry.issuer, createIssuerUnit(entry, unitDeps));
  }
  // A single issuer takes every token: nothing to pick, its own rules check `iss`.
  const only = settings.catchAll ? [...configured.values()][0] : undefined;
  const inOrder = [...configured.values()].filter((unit) => unit.introspects);
  // Issuers `resolveIssuer` sets up at request time, held apart from the configured ones.
  const resolved = createResolvedIssuers(settings, unitDeps, realm);

  function unitFor(
    issuer: string,
    request: RequestLike | undefined,
  ): IssuerUnit | undefined | Promise<IssuerUnit | undefined> {
    return configured.get(issuer) ?? resolved.unitFor(issuer, request);
  }

  function routeOrRefuse(
    unit: IssuerUnit | undefined | Promise<IssuerUnit | undefined>,
  ): IssuerRoute | Promise<IssuerRoute> {
    if (unit instanceof Promise) return unit.then(routeOrRefuse);
    if (unit === undefined) {
      throw new InvalidTokenError({
        message: 'the token’s issuer is not a trusted issuer',
        reason: 'issuer_mismatch',
        realm,
      });
    }
    return unit;
  }

  /** Opaque token, no selection: each introspecting issuer in order until one knows it. */
  const inOrderRoute: IssuerRoute = {
    namespace: settings.namespace,
    issuer: undefined,
    strategyOf: () => 'introspection',
    async validate(token, trace) {
      let outage: unknown;
      let reason: string | undefined;
      for (const unit of inOrder) {
        try {
          const result = await unit.validate(token, trace);
          if (result.kind === 'valid') return { ...result, issuer: unit.issuer };
          reason ??= result.reason;
        } catch (error) {
          // That issuer could be the token's: an outage there is not a verdict.
          outage ??= error;
        }
      }
      if (outage !== undefined) throw outage;
      // Nobody knew it: the first issuer's reason (`token_inactive` from introspection).
      return { kind: 'invalid', reason };
    },
  };
  const allUnits = () => [...configured.values(), ...resolved.units()];

  return {
    route(token, request) {
      if (only !== undefined) return only;
      // Shaped like a JWS: routed by `iss` as the single-issuer guard routes it to local
      // verification — a malformed one is refused here, never sent to each issuer in order.
      if (isJwtRouted(token)) {
        let iss: unknown;
        try {
          // Unverified, on purpose: only to choose among trusted issuers, compared exactly.
          iss = decodeJwt(token).iss;
        } catch {
          throw new InvalidTokenError({ message: 'the JWT payload cannot be read', realm });
        }
        if (typeof iss !== 'string') {
          throw new InvalidTokenError({
            message: 'the JWT names no issuer',
            reason: 'claim_missing',
            realm,
          });
        }
        return routeOrRefuse(unitFor(iss, request));
      }
      if (settings.selectIssuer !== undefined && request !== undefined) {
        let selected: unknown;
        try {
          selected = settings.selectIssuer(request);
        } catch (cause) {
          throw new ServerError({ message: 'selectIssuer threw', cause, realm });
        }
        if (typeof selected === 'string') return routeOrRefuse(unitFor(selected, request));
        if (selected !== undefined) {
          throw new ServerError({
            message: 'selectIssuer returned neither a string nor undefined',
            realm,
          });
        }
      }
      if (inOrder.length === 0) {
        throw new InvalidTokenError({
          message: 'no issuer introspects opaque tokens',
          reason: 'token_type_unsupported',
          realm,
        });
      }
      return inOrderRoute;
    },

    metrics() {
      if (only !== undefined) return undefined;
      const all: Record<string, IssuerMetrics> = {};
      for (const unit of allUnits()) all[unit.id as string] = unit.metrics();
      return all;
    },

    async health(sources, options) {
      if (only !== undefined) return checkGuardHealth({ ...only.health, ...sources }, options);
      const [own, checked] = await Promise.all([
        checkGuardHealth(sources, options),
        Promise.all(
          allUnits().map(
            async (unit) => [unit.id, await checkGuardHealth(unit.health, options)] as const,
          ),
        ),
      ]);
      const health = summarizeIssuerHealth(own, Object.fromEntries(checked));
      if (options?.summary !== true) return health;
      // Public readiness routes: the worst state of each check, no issuer URLs.
      const { issuers: _byIssuer, ...summary } = health;
      return summary;
    },

    get breakerState(): BreakerState {
      let worst: BreakerState = 'closed';
      for (const unit of allUnits()) {
        const state = unit.breakerState;
        if (state === 'open') return 'open';
        if (state === 'half-open') worst = 'half-open';
      }
      return worst;
    },

    async ready() {
      await Promise.all([...configured.values()].map((unit) => unit.ready()));
    },

    async close() {
      const units = allUnits();
      resolved.clear();
      await Promise.all(units.map((unit) => unit.close()));
    },
  };
}
