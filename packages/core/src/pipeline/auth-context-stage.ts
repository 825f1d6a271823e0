/**
 * Stage 5, the auth context: what the adapters attach for an accepted token (its claims in
 * the introspection shape, scopes, strategy, issuer, binding), counted and announced on the
 * `tokenguard:auth:success` channel (a token hash prefix, never the token).
 */
import { createAuthContext } from '../auth-context.js';
import { hashToken } from '../cache/hash-token.js';
import type { GuardMetricsRecorder } from '../guard/create-guard-metrics.js';
import { authSuccessChannel } from '../internal/diagnostics.js';
import type { IssuerRoute } from '../issuers/create-issuer-unit.js';
import type { TokenBinding } from '../sender-constraint/create-sender-constraint.js';
import type { AuthContext, TokenClaims } from '../types.js';
import type { Accepted } from './verdict-stage.js';

export type AuthContextStage = (
  token: string,
  route: IssuerRoute,
  verdict: Accepted,
  binding: TokenBinding | undefined,
) => AuthContext;

/**
 * @example
 * const toAuthContext = createAuthContextStage(metrics);
 * const auth = toAuthContext(token, route, verdict, 'dpop');
 */
export function createAuthContextStage(metrics: GuardMetricsRecorder): AuthContextStage {
  return (token, route, verdict, binding) => {
    if (authSuccessChannel.hasSubscribers) {
      const tokenHash = hashToken(route.namespace, token).slice(0, 8);
      authSuccessChannel.publish({ strategy: verdict.strategy, tokenHash });
    }
    metrics.validated(verdict.strategy);
    return createAuthContext(
      token,
      verdict.claims as TokenClaims,
      verdict.strategy,
      verdict.stale,
      // Several issuers tried in order: the one that knew the token.
      verdict.issuer ?? route.issuer,
      binding,
    );
  };
}
