/**
 * The one place a refusal becomes an answer: the status, the headers (the RFC 6750 §3
 * challenge with the guard's realm, the schemes of RFC 9449 §7.1, `scope`, RFC 9728 §5.1
 * `resource_metadata` and RFC 9470 `acr_values`; `Cache-Control`, `Retry-After`,
 * `DPoP-Nonce`) and the body. `guard.errorResponse` calls it, and every adapter answers
 * through `guard.errorResponse`.
 */
import {
  type ChallengeSettings,
  InvalidRequestError,
  REASON_DESCRIPTIONS,
  type TokenGuardError,
} from '../errors.js';
import type { ErrorResponse } from '../guard-types.js';

export interface RenderSettings {
  readonly realm: string;
  /** RFC 9728 §5.1: the metadata URL every challenge points at, when configured. */
  readonly resourceMetadata: string | undefined;
  /** Put the reason's fixed text in `error_description` (`errorDescriptions`). */
  readonly errorDescriptions: boolean;
}

/**
 * @example
 * const { status, headers, body } = renderRefusal(error, { realm: 'api', resourceMetadata: undefined, errorDescriptions: false });
 */
export function renderRefusal(error: TokenGuardError, settings: RenderSettings): ErrorResponse {
  // An error the guard did not refuse itself (an application's own) is answered with the
  // guard's realm and metadata URL too, as a copy: errors are never changed.
  const refusal =
    error.realm === settings.realm && error.resourceMetadata === settings.resourceMetadata
      ? error
      : error.answeredWith(challengeOf(error, settings));
  // An invalid_request keeps its own text, which already says what was wrong with the request.
  const body =
    settings.errorDescriptions && !(refusal instanceof InvalidRequestError)
      ? { error: refusal.code, error_description: REASON_DESCRIPTIONS[refusal.reason] }
      : refusal.body;
  return { status: refusal.status, headers: refusal.headers, body };
}

function challengeOf(error: TokenGuardError, settings: RenderSettings): ChallengeSettings {
  return {
    realm: settings.realm,
    resourceMetadata: settings.resourceMetadata,
    schemes: error.schemes,
  };
}
