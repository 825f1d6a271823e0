/**
 * Stage 6, requirements: the guard-wide requirement (and a route's, where the route is known
 * when the guard authenticates) checked against the validated token's own claims, in one
 * order (see `authorizeClaims`). Without one, nothing runs and nothing is awaited.
 */
import { authorizeClaims } from '../policy/authorize-claims.js';
import {
  type NormalizedRequirements,
  normalizeRequirements,
} from '../policy/normalize-requirements.js';
import type { AuthContext, RequestLike, Requirements } from '../types.js';

export interface RequirementsStage {
  /** No guard-wide requirement: a cached verdict (on a route without one) needs no promise. */
  readonly isEmpty: boolean;
  /**
   * Refuses (rejects) when the token does not meet the guard-wide requirement, or the
   * route's: both checked in one order, step by step.
   */
  check(auth: AuthContext, request: RequestLike, route: Requirements | undefined): Promise<void>;
}

/**
 * @example
 * const requirements = createRequirementsStage(config.requirements, config.realm);
 * if (!requirements.isEmpty) await requirements.check(auth, request);
 */
export function createRequirementsStage(
  guardWide: NormalizedRequirements,
  realm: string,
): RequirementsStage {
  return {
    isEmpty: guardWide.isEmpty,
    check(auth, request, route) {
      if (route === undefined) return authorizeClaims(auth, guardWide, request, realm);
      const own = normalizeRequirements(route);
      return authorizeClaims(auth, guardWide.isEmpty ? own : [guardWide, own], request, realm);
    },
  };
}
