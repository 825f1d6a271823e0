/**
 * Stage 1, extract: the request's token (RFC 6750 §2), or why there is none. A request
 * without a token passes only where authentication is optional, or as an opted-in CORS
 * preflight; every other one is refused 401 here.
 */
import { MissingTokenError } from '../errors.js';
import type { CallContext } from '../guard-types.js';
import {
  type ExtractionSettings,
  extractBearerToken,
  missingTokenReason,
  presentedScheme,
} from '../token/extract-bearer-token.js';
import { isCorsPreflight } from '../token/is-cors-preflight.js';
import type { RequestLike } from '../types.js';

/** The authorization scheme the token came with (RFC 9449 §7.1: a DPoP token says `DPoP`). */
export type PresentedScheme = 'Bearer' | 'DPoP';

export interface ExtractStage {
  /** The token; `undefined` when the request may go on without one; throws 400/401. */
  token(request: RequestLike, context: CallContext | undefined): string | undefined;
  /** The scheme the token was presented with (`Bearer` unless DPoP is on). */
  scheme(request: RequestLike): PresentedScheme;
}

export interface ExtractSettings {
  readonly extraction: ExtractionSettings;
  /** The guard's default for `context.optional`. */
  readonly optional: boolean;
  readonly passCorsPreflight: boolean;
  /** DPoP on: the `DPoP` scheme is read (RFC 9449 §7.1). */
  readonly dpop: boolean;
}

/**
 * @example
 * const extract = createExtractStage(config);
 * const token = extract.token(request, context); // undefined: optional and none sent
 */
export function createExtractStage(settings: ExtractSettings): ExtractStage {
  const { extraction, passCorsPreflight } = settings;
  return {
    token(request, context) {
      // A CORS preflight carries no credentials by design (Fetch §3.2.2). Passed on only when
      // the app opted in; otherwise the adapters answer it before calling here, and a direct
      // caller gets the refusal any request without a token gets.
      if (passCorsPreflight && isCorsPreflight(request)) return undefined;
      const token = extractBearerToken(request, extraction);
      if (token !== undefined || (context?.optional ?? settings.optional)) return token;
      throw new MissingTokenError({
        realm: extraction.realm,
        reason: missingTokenReason(request, extraction),
      });
    },
    scheme: settings.dpop ? presentedScheme : () => 'Bearer',
  };
}
