/**
 * `guard.health()`: whether the guard can validate tokens, from state it already holds —
 * discovery, the key set, the circuit breaker, the shared store's connection flag — so a
 * readiness probe every few seconds costs nothing upstream. With `{ probe: true }` it asks
 * instead: discovery and the key set are fetched if they are not loaded, the store is
 * pinged, and the introspection endpoint is sent one probe token (any verdict, even
 * `active: false`, proves the endpoint up and our credentials accepted).
 */

/**
 * The states the parts a guard depends on report, declared here (where they are read) so
 * the health check depends on no part: RFC 8414 discovery not yet needed, fetching, known
 * or failed.
 */
export type DiscoveryState = 'idle' | 'pending' | 'ok' | 'failed';

/** The introspection circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * Where the key set stands, without fetching (for `guard.health()`): `idle` before the first
 * fetch, `ok` while keys are loaded (even if a background refresh failed: they keep
 * serving), `failed` when no keys could be loaded yet.
 */
export type KeySetState = 'idle' | 'ok' | 'failed';

/** What `guard.health()` reports. Each check is `not-used` when the guard does not need it. */
export interface GuardHealth {
  /**
   * Whether the guard can validate tokens: nothing it depends on is known to be down (a
   * discovery or key-set failure, an open breaker, a failed probe). A shared store that is
   * unreachable does not make the guard unready: each lookup is then a miss, not an error.
   */
  readonly ready: boolean;
  /** RFC 8414 discovery: `idle` until first needed, `ok` once the metadata is known. */
  readonly discovery: DiscoveryState | 'not-used';
  /** The JWT key set: `static` for configured keys or a secret; `idle` until first fetched. */
  readonly keys: KeySetState | 'static' | 'not-used';
  /** The introspection circuit breaker. */
  readonly breaker: BreakerState | 'not-used';
  /** The shared cache store (`unknown` when the store cannot tell). */
  readonly store: 'ok' | 'unreachable' | 'unknown' | 'not-used';
  /** Only with `{ probe: true }`: whether the introspection endpoint answered a probe. */
  readonly introspection?: 'ok' | 'failed' | 'not-used';
  /**
   * With several issuers: each held issuer's own health. The fields above then show the
   * worst issuer's state, and `ready` is true while at least one issuer is ready.
   */
  readonly issuers?: Readonly<Record<string, GuardHealth>>;
}

export interface HealthOptions {
  /** Ask upstream (discovery, JWKS, one probe introspection, a store ping). Default `false`. */
  readonly probe?: boolean;
  /**
   * The summary form for a public readiness route: `ready` and the worst state of each
   * check, without `issuers` (whose keys are every issuer's URL, a list of your tenants).
   * Default `false`.
   */
  readonly summary?: boolean;
}

export interface HealthSources {
  readonly discovery?: { readonly state: DiscoveryState; metadata(): Promise<unknown> };
  readonly jwt?: { keysState(): KeySetState | 'static'; loadKeys(): Promise<void> };
  readonly breaker?: () => BreakerState;
  /** Present when a shared store is configured; `undefined` from it: the store cannot tell. */
  readonly store?: (probe: boolean) => Promise<boolean | undefined>;
  /** Sends one probe token to the introspection endpoint; resolves on any verdict. */
  readonly probeIntrospection?: () => Promise<unknown>;
}

export async function checkGuardHealth(
  sources: HealthSources,
  options: HealthOptions = {},
): Promise<GuardHealth> {
  const probe = options.probe === true;
  let introspection: GuardHealth['introspection'];
  if (probe) {
    // Failures are read back from the states below; each probe is bounded by its own deadline.
    const settle = (work: Promise<unknown> | undefined) =>
      work?.then(
        () => true,
        () => false,
      );
    const [, , introspected] = await Promise.all([
      settle(sources.discovery?.metadata()),
      settle(sources.jwt?.loadKeys()),
      settle(sources.probeIntrospection?.()),
    ]);
    introspection =
      introspected === undefined ? 'not-used' : introspected === true ? 'ok' : 'failed';
  }
  const reachable =
    sources.store === undefined ? undefined : await sources.store(probe).catch(() => false);
  const health: GuardHealth = {
    ready: false,
    discovery: sources.discovery?.state ?? 'not-used',
    keys: sources.jwt?.keysState() ?? 'not-used',
    breaker: sources.breaker?.() ?? 'not-used',
    store:
      sources.store === undefined
        ? 'not-used'
        : reachable === undefined
          ? 'unknown'
          : reachable
            ? 'ok'
            : 'unreachable',
    ...(introspection === undefined ? {} : { introspection }),
  };
  return {
    ...health,
    ready:
      health.discovery !== 'failed' &&
      health.keys !== 'failed' &&
      health.breaker !== 'open' &&
      health.introspection !== 'failed',
  };
}
