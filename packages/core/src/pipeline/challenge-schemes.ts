/**
 * Which schemes a refusal challenges with (RFC 9449 §7.1): Bearer only without DPoP; with
 * DPoP the guard's schemes, the error on the scheme the request used; a route that requires
 * DPoP challenges with DPoP only, and a route that refuses it with Bearer only.
 */
import type { ChallengeSchemes } from '../errors.js';
import type { NormalizedDpop } from '../sender-constraint/normalize-sender-constraint-options.js';
import type { Requirements } from '../types.js';
import type { PresentedScheme } from './extract-stage.js';

export interface ChallengeSchemesOf {
  /** The challenge of a refusal on `authenticate`: the error goes on the scheme used. */
  presented(scheme: PresentedScheme): ChallengeSchemes | undefined;
  /** The challenge of a route requirement's refusal, for a token of `binding`. */
  route(
    dpop: Requirements['dpop'],
    binding: 'dpop' | 'mtls' | undefined,
  ): ChallengeSchemes | undefined;
}

/**
 * @example
 * const schemes = createChallengeSchemes(config.dpop);
 * refuse(error, context, schemes.presented('DPoP'));
 */
export function createChallengeSchemes(dpop: NormalizedDpop): ChallengeSchemesOf {
  const dpopAlgs = dpop.algorithms.join(' ');
  const guard: ChallengeSchemes | undefined =
    dpop.mode === 'disabled'
      ? undefined
      : Object.freeze({ bearer: dpop.mode === 'allowed', dpopAlgs });
  const onDpop = guard && Object.freeze({ ...guard, presented: 'DPoP' as const });
  const dpopOnly = (presented: PresentedScheme): ChallengeSchemes => ({
    bearer: false,
    dpopAlgs,
    presented,
  });
  return {
    presented: (scheme) => (scheme === 'DPoP' && onDpop !== undefined ? onDpop : guard),
    route(mode, binding) {
      if (mode === 'required') return dpopOnly(binding === 'dpop' ? 'DPoP' : 'Bearer');
      if (mode === 'disabled') return undefined;
      return binding === 'dpop' && onDpop !== undefined ? onDpop : guard;
    },
  };
}
