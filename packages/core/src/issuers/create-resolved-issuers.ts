/**
 * Issuers found at request time by `resolveIssuer`, for multi-tenant deployments. They are
 * kept in two segments of at most `maxIssuers` each (a segmented LRU): a new unit waits on
 * probation until it validates a token, then is proven. New units only push out other new
 * ones, so tokens naming junk tenants cannot evict the tenants that work. Each new unit
 * costs metadata and key-set fetches, so only `maxNewIssuersPerSec` are set up a second;
 * an issuer `resolveIssuer` refused stays refused for a minute without asking again.
 */
import { LRUCache } from 'lru-cache';
import { ServerError, TokenGuardError, UpstreamUnavailableError } from '../errors.js';
import { type NormalizedIssuers, normalizeIssuerEntry } from '../settings/normalize-issuers.js';
import type { RequestLike } from '../types.js';
import {
  createIssuerUnit,
  type IssuerUnit,
  type IssuerUnitDependencies,
} from './create-issuer-unit.js';

export interface ResolvedIssuers {
  /**
   * The unit of `issuer`: known, set up now (a promise), or `undefined` when
   * `resolveIssuer` refused it. Throws a 503 past the new-issuer budget.
   */
  unitFor(
    issuer: string,
    request: RequestLike | undefined,
  ): IssuerUnit | undefined | Promise<IssuerUnit | undefined>;
  /** Every unit held, proven first. */
  units(): IssuerUnit[];
  /** Forgets every unit (their owner closes them). */
  clear(): void;
}

/** How long an issuer `resolveIssuer` refused stays refused without asking again. */
const UNKNOWN_ISSUER_TTL_MS = 60_000;

export function createResolvedIssuers(
  settings: NormalizedIssuers,
  unitDeps: IssuerUnitDependencies,
  realm: string | undefined,
): ResolvedIssuers {
  const resolveIssuer = settings.resolveIssuer;
  const segment = () =>
    new LRUCache<string, IssuerUnit>({
      max: settings.maxIssuers,
      // Evicted for room: close its pool and timers. (`clear()` leaves closing to the owner.)
      dispose: (unit, _issuer, reason) => {
        if (reason === 'evict') void unit.close();
      },
    });
  const proven = segment();
  const probation = segment();
  const budget = createNewIssuerBudget(settings.maxNewIssuersPerSec);
  const refused = new LRUCache<string, true>({
    max: settings.maxIssuers,
    ttl: UNKNOWN_ISSUER_TTL_MS,
  });
  const pending = new Map<string, Promise<IssuerUnit | undefined>>();

  async function resolve(
    issuer: string,
    request: RequestLike | undefined,
  ): Promise<IssuerUnit | undefined> {
    let options: unknown;
    try {
      options = await (resolveIssuer as NonNullable<typeof resolveIssuer>)(issuer, request);
    } catch (cause) {
      if (cause instanceof TokenGuardError) throw cause;
      throw new ServerError({ message: 'resolveIssuer threw', cause, realm });
    }
    if (options === undefined || options === null) {
      refused.set(issuer, true);
      return undefined;
    }
    // A configuration error here is the application's bug: refuse() answers it 500.
    const entry = normalizeIssuerEntry(options, 'resolveIssuer()', settings.context);
    if (entry.issuer !== issuer) {
      throw new ServerError({
        message: 'resolveIssuer returned an entry for another issuer than it was asked for',
        realm,
      });
    }
    // A unit on probation that validates a token is proven (moved, not closed).
    const unit: IssuerUnit = createIssuerUnit(entry, {
      ...unitDeps,
      onValid: () => {
        if (probation.peek(issuer) !== unit) return;
        probation.delete(issuer);
        proven.set(issuer, unit);
      },
    });
    probation.set(issuer, unit);
    return unit;
  }

  return {
    unitFor(issuer, request) {
      const unit = proven.get(issuer) ?? probation.get(issuer);
      if (unit !== undefined || resolveIssuer === undefined) return unit;
      if (refused.has(issuer)) return undefined;
      let lookup = pending.get(issuer);
      if (lookup === undefined) {
        const waitSec = budget.take();
        if (waitSec !== 0) {
          const error = new UpstreamUnavailableError({
            message: `resolveIssuer: more than ${settings.maxNewIssuersPerSec} new issuers per second`,
            realm,
          });
          error.retryAfterSec = waitSec;
          throw error;
        }
        lookup = resolve(issuer, request).finally(() => pending.delete(issuer));
        pending.set(issuer, lookup);
      }
      return lookup;
    },

    units: () => [...proven.values(), ...probation.values()],

    clear() {
      proven.clear();
      probation.clear();
    },
  };
}

/**
 * A token bucket of new issuer units: `perSec` a second, up to `perSec` at once. `take()`
 * answers 0 when a unit may be set up now, else the seconds until one may (`Retry-After`).
 */
function createNewIssuerBudget(perSec: number): { take(): number } {
  let tokens = perSec;
  let refilledAt = Date.now();
  return {
    take() {
      const now = Date.now();
      tokens = Math.min(perSec, tokens + ((now - refilledAt) / 1000) * perSec);
      refilledAt = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.max(1, Math.ceil((1 - tokens) / perSec));
    },
  };
}
