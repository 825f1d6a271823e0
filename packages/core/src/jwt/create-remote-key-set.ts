/**
 * A remote JWK Set (RFC 7517 §5) behind a cooldown. Internal to the JWT strategy.
 *
 * Built on jose's `createLocalJWKSet` (key selection by `kid`, `kty`, `crv`, `alg`, `use`,
 * and imported-key caching) rather than `createRemoteJWKSet`, because the guard needs what the
 * latter does not give: fetches over our own HTTP client (undici pool, deadline, size limit, no
 * redirects, counted), outages reported as 503 and remembered briefly instead of refetched on
 * every request, and the last good key set kept while a periodic refresh runs or fails.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { InvalidTokenError, TokenGuardConfigError, UpstreamUnavailableError } from '../errors.js';
import type { KeySetState } from '../health/check-guard-health.js';
import { type HttpClient, parseJsonObject } from '../internal/http-client.js';
import { isOversizedRsaModulus, MAX_RSA_BITS } from '../internal/key-rules.js';
import { createSingleFlight } from '../internal/single-flight.js';

export interface RemoteKeySetOptions {
  /** The JWKS URL, resolved lazily (a static URL, or discovery's `jwks_uri`). */
  readonly jwksUri: () => Promise<URL>;
  readonly http: HttpClient;
  /** Least time between a successful fetch and a refetch caused by an unknown `kid`, in ms. */
  readonly cooldownMs: number;
  /** Fetch deadline, in ms. */
  readonly timeoutMs: number;
  /** Largest accepted JWKS, in bytes. Default: the client's bound. */
  readonly maxResponseBytes?: number;
  /** Age after which the set is refreshed in the background on next use, in ms. */
  readonly maxAgeMs: number;
  /** How long a failed fetch is remembered (requests needing a fetch get 503 at once), in ms. */
  readonly retryAfterFailureMs: number;
  /** Called once per HTTP fetch of the JWKS (for the guard's `jwksFetches` counter). */
  readonly onFetch?: () => void;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** A jose key resolver that can tell whether its keys are loaded, and load them. */
export type RemoteKeySet = JWTVerifyGetKey & {
  readonly state: () => KeySetState;
  /** Fetches the set unless it is loaded (a readiness probe); rejects with the outage. */
  readonly load: () => Promise<void>;
  /**
   * Changes whenever a fetched set replaces the keys (0 before the first). Reading it starts
   * the background refresh of a set older than `maxAgeMs`, as a key lookup does.
   */
  readonly version: () => number;
};

/**
 * Splits a JWK Set into usable keys and the `kid`s of RSA keys over `MAX_RSA_BITS`: those are
 * left out of the set, and a token naming one is refused (`key_unusable`) without a refetch.
 */
function boundKeySizes(document: Record<string, unknown>): {
  readonly usable: Record<string, unknown>;
  readonly oversizedKids: ReadonlySet<string>;
} {
  const oversizedKids = new Set<string>();
  if (!Array.isArray(document.keys)) return { usable: document, oversizedKids };
  const keys = document.keys.filter((jwk: unknown) => {
    if (typeof jwk !== 'object' || jwk === null) return true;
    const { kty, n, kid } = jwk as { kty?: unknown; n?: unknown; kid?: unknown };
    if (kty !== 'RSA' || typeof n !== 'string' || !isOversizedRsaModulus(n)) return true;
    if (typeof kid === 'string') oversizedKids.add(kid);
    return false;
  });
  return { usable: { ...document, keys }, oversizedKids };
}

/**
 * Returns a jose key resolver over a remote JWKS. Rules:
 * - the set is fetched on first use; concurrent callers share one fetch (single-flight);
 * - an unknown `kid` (key rotation, RFC 7517 §4.5) causes a refetch only when the last
 *   successful fetch is older than `cooldownMs`; every request that arrives meanwhile waits
 *   for that same fetch, so however many tokens carry unknown kids, there is at most one
 *   refetch per cooldown window;
 * - a set older than `maxAgeMs` is refreshed in the background while the current keys keep
 *   serving, so a key removed by the issuer stops being accepted;
 * - a failed fetch throws `UpstreamUnavailableError` (503, never a token verdict) and is
 *   remembered for `retryAfterFailureMs`, during which no new fetch is attempted.
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): RemoteKeySet {
  const { http, cooldownMs, timeoutMs, maxAgeMs, retryAfterFailureMs, onFetch } = options;
  let local: LocalKeySet | undefined;
  let oversizedKids: ReadonlySet<string> = new Set();
  /** When the current set was fetched (0: never). */
  let fetchedAt = 0;
  /** Bumped each time `local` is replaced (see `version`). */
  let generation = 0;
  /** Whether the last fetch failed (read by `state()` for `guard.health()`). */
  let lastFetchFailed = false;
  // One fetch at a time, shared by every waiting request and background refresh; a failure
  // is kept for `retryAfterFailureMs` (requests needing a fetch meanwhile get 503 at once),
  // a success is not (the keys live in `local`).
  const fetches = createSingleFlight<void>({ keepFailureMs: retryAfterFailureMs });
  const refresh = () => fetches.run(fetchKeySetOrOutage);

  /** Every failure is an outage (503) when created, except a configuration error. */
  async function fetchKeySetOrOutage(): Promise<void> {
    try {
      await fetchKeySet();
      lastFetchFailed = false;
    } catch (error) {
      lastFetchFailed = true;
      throw error instanceof TokenGuardConfigError || error instanceof UpstreamUnavailableError
        ? error
        : new UpstreamUnavailableError({
            message: error instanceof Error ? error.message : 'jwks fetch failed',
            cause: error,
          });
    }
  }

  async function fetchKeySet(): Promise<void> {
    const url = await options.jwksUri();
    onFetch?.();
    const response = await http.send({
      method: 'GET',
      url,
      headers: { accept: 'application/jwk-set+json, application/json' },
      purpose: 'jwks',
      timeoutMs,
      maxResponseBytes: options.maxResponseBytes,
    });
    if (response.status !== 200) {
      // No redirects are followed (a JWKS location is configuration, not something an answer
      // may change): a 3xx is a fault like a 5xx.
      throw new UpstreamUnavailableError({
        message: `jwks endpoint answered HTTP ${response.status}`,
      });
    }
    const bounded = boundKeySizes(parseJsonObject(response, 'jwks'));
    let next: LocalKeySet;
    try {
      next = createLocalJWKSet(bounded.usable as unknown as JSONWebKeySet);
    } catch (cause) {
      throw new UpstreamUnavailableError({
        message: 'jwks endpoint answered a document that is not a JWK Set',
        cause,
      });
    }
    local = next;
    oversizedKids = bounded.oversizedKids;
    fetchedAt = Date.now();
    generation++;
  }

  async function ensureLoaded(): Promise<LocalKeySet> {
    if (local === undefined) await refresh();
    else refreshIfStale();
    return local as unknown as LocalKeySet;
  }

  function refreshIfStale(): void {
    if (Date.now() - fetchedAt >= maxAgeMs) {
      // Stale but usable: refresh without making this request wait (joining one in flight,
      // or answered by a failure still kept); a failure is remembered.
      refresh().catch(() => undefined);
    }
  }

  const resolve: JWTVerifyGetKey = async (protectedHeader, token) => {
    const keys = await ensureLoaded();
    try {
      return await keys(protectedHeader, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      if (typeof protectedHeader.kid === 'string' && oversizedKids.has(protectedHeader.kid)) {
        throw new InvalidTokenError({
          message: `jwt: RSA key over ${MAX_RSA_BITS} bits refused`,
          reason: 'key_unusable',
        });
      }
      // Within the cooldown the set is fresh: the kid is unknown, the token is refused.
      if (!fetches.inFlight() && Date.now() - fetchedAt < cooldownMs) throw error;
      // Otherwise wait for a fetch; a failure kept from moments ago answers at once (the kid
      // may be a rotated-in key we cannot see).
      await refresh();
      return (local as unknown as LocalKeySet)(protectedHeader, token);
    }
  };
  const state = (): KeySetState =>
    local !== undefined ? 'ok' : lastFetchFailed ? 'failed' : 'idle';
  const load = async (): Promise<void> => {
    await ensureLoaded();
  };
  const version = (): number => {
    if (local !== undefined) refreshIfStale();
    return generation;
  };
  return Object.assign(resolve, { state, load, version });
}
