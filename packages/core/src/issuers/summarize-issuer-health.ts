/**
 * `guard.health()` of a guard with several issuers. Each issuer is checked on its own; the
 * summary shows the worst issuer's state per check, and is ready while at least one issuer
 * can validate tokens: one tenant's identity service being down must not take the instance
 * out of rotation for every other tenant (a readiness probe that wants one issuer reads
 * `issuers[issuer].ready`).
 */
import type { GuardHealth } from '../health/check-guard-health.js';

/** Worst first: the first state of each list that any issuer is in is reported. */
const DISCOVERY = ['failed', 'pending', 'idle', 'ok', 'not-used'] as const;
const KEYS = ['failed', 'idle', 'ok', 'static', 'not-used'] as const;
const BREAKER = ['open', 'half-open', 'closed', 'not-used'] as const;
const PROBE = ['failed', 'ok', 'not-used'] as const;

/**
 * @example
 * summarizeIssuerHealth(await checkGuardHealth({ store }), await router.health());
 */
export function summarizeIssuerHealth(
  own: GuardHealth,
  byIssuer: Readonly<Record<string, GuardHealth>>,
): GuardHealth {
  const all = Object.values(byIssuer);
  const probed = all.some((health) => health.introspection !== undefined);
  return {
    ready: all.some((health) => health.ready),
    discovery: worst(
      DISCOVERY,
      all.map((health) => health.discovery),
    ),
    keys: worst(
      KEYS,
      all.map((health) => health.keys),
    ),
    breaker: worst(
      BREAKER,
      all.map((health) => health.breaker),
    ),
    store: own.store,
    ...(probed
      ? {
          introspection: worst(
            PROBE,
            all.map((health) => health.introspection),
          ),
        }
      : {}),
    issuers: byIssuer,
  };
}

function worst<State extends string>(order: readonly State[], states: unknown[]): State {
  return order.find((state) => states.includes(state)) ?? (order.at(-1) as State);
}
