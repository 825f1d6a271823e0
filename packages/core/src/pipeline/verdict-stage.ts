/**
 * Stage 3, the verdict on a token at its issuer: the local tier, then the shared tier, then
 * one upstream call shared by every concurrent request (single-flight), then the issuer's
 * strategy (introspection or local JWT). A cached verdict comes back synchronously; only a
 * miss is a promise. A refused token is thrown here with the reason it was refused for.
 */
import type { CacheLookup, ResultCache } from '../cache/create-result-cache.js';
import { hashToken } from '../cache/hash-token.js';
import { InvalidTokenError, isRefusalReason } from '../errors.js';
import type { Pending } from '../guard/authenticate-now.js';
import type { IssuerRoute } from '../issuers/create-issuer-unit.js';
import type { ValidationTrace } from '../validation-trace.js';

/** A verdict that accepts the token: its claims, strategy and (when served stale) `stale`. */
export type Accepted = CacheLookup & { readonly kind: 'valid' };

/** The accepted verdict on `token` at `route`; throws (or rejects) `InvalidTokenError`. */
export type VerdictStage = (
  token: string,
  route: IssuerRoute,
  trace: ValidationTrace | undefined,
) => Pending<Accepted>;

export interface VerdictSettings {
  readonly cache: ResultCache;
  /** The guard's namespace: every entry also carries the token's key under it, for `evict`. */
  readonly namespace: string;
  readonly realm: string;
}

/**
 * @example
 * const verdict = createVerdictStage({ cache, namespace: config.namespace, realm });
 * const accepted = await verdict(token, route, undefined);
 */
export function createVerdictStage(settings: VerdictSettings): VerdictStage {
  const { cache, namespace, realm } = settings;

  function accept(result: CacheLookup): Accepted {
    if (result.kind === 'invalid') {
      // A cached refusal keeps its reason (the troubleshooting table's reason codes).
      throw new InvalidTokenError({
        message: `token refused: ${result.reason ?? 'token_inactive'}`,
        reason: isRefusalReason(result.reason) ? result.reason : 'token_inactive',
        realm,
      });
    }
    // `jwt.maxTokenAgeSec` holds for cached verdicts too (re-checked on every read).
    if (result.notAfterMs !== undefined && result.notAfterMs <= Date.now()) {
      throw new InvalidTokenError({
        message: 'token refused: iat older than maxTokenAgeSec',
        reason: 'token_too_old',
        realm,
      });
    }
    return result as Accepted;
  }

  return (token, route, trace) => {
    const key = hashToken(route.namespace, token);
    if (trace !== undefined) {
      trace.strategy = route.strategyOf(token);
      trace.tokenHash = key.slice(0, 8);
    }
    // The token's guard-wide key goes with an issuer's entry: `evict` finds it through it,
    // even once that issuer's unit has left the resolved issuers (or was never held where
    // it runs). A single issuer's namespace is the guard's: one key, hashed once.
    const tokenKey = route.namespace === namespace ? key : hashToken(namespace, token);
    const lookup = cache.getOrValidate(key, () => route.validate(token, trace), trace, tokenKey);
    if (trace === undefined)
      return lookup instanceof Promise ? lookup.then(accept) : accept(lookup);
    const traced = (result: CacheLookup) => {
      if (result.stale === true) trace.stale = true;
      return accept(result);
    };
    return lookup instanceof Promise ? lookup.then(traced) : traced(lookup);
  };
}
