/**
 * The refusal step: whatever a request's validation threw becomes one `TokenGuardError`,
 * counted by code and reason, logged (5xx rate-limited; every refusal's reason at debug level)
 * and published on the diagnostics channels.
 * Errors are never changed here: the refusal is a copy carrying the guard's realm, RFC 9728
 * metadata URL and challenge schemes, so one error may be shared by every request that
 * waited on the same failed fetch.
 */
import {
  type ChallengeSchemes,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
} from '../errors.js';
import type { CallContext } from '../guard-types.js';
import { authFailureChannel, upstreamErrorChannel } from '../internal/diagnostics.js';
import type { TokenGuardLogger } from '../types.js';
import type { GuardMetricsRecorder } from './create-guard-metrics.js';

export interface RefusalSettings {
  /** The realm of every challenge this guard sends. */
  readonly realm: string;
  /** RFC 9728 §5.1: the metadata URL every challenge points at, when configured. */
  readonly resourceMetadata?: string;
  /** The guard's logger, used when a call brings none. */
  readonly logger: TokenGuardLogger;
  readonly metrics: GuardMetricsRecorder;
}

/**
 * Turns anything thrown into the error the caller answers with. `schemes`: the challenge's
 * schemes (RFC 9449 §7.1) when the error names none; absent, Bearer only.
 */
export type Refuse = (
  error: unknown,
  context?: CallContext,
  schemes?: ChallengeSchemes,
) => TokenGuardError;

/** How long the same log message stays quiet after it was written, in ms. */
const LOG_QUIET_MS = 10_000;
/** Most distinct messages remembered before the memory is cleared. */
const LOG_MEMORY = 100;

/**
 * @example
 * const refuse = createRefusal({ realm: 'api', logger: console, metrics });
 * try { await verify(token) } catch (error) { throw refuse(error) }
 */
export function createRefusal(settings: RefusalSettings): Refuse {
  const { realm, metrics } = settings;
  const answered = (error: TokenGuardError, schemes: ChallengeSchemes | undefined) =>
    error.answeredWith({ realm, resourceMetadata: settings.resourceMetadata, schemes });
  const recentLogs = new Map<string, number>();

  /**
   * Upstream details go to the log once per burst: at most once per message every 10 s
   * (outages are loud). The message names the cause (the endpoint's host:port and what
   * failed: refused connection, timeout after N ms, HTTP status).
   */
  function logOnce(
    context: CallContext | undefined,
    level: 'warn' | 'error',
    refusal: TokenGuardError,
    message: string,
  ): void {
    const now = Date.now();
    if ((recentLogs.get(message) ?? 0) > now - LOG_QUIET_MS) return;
    if (recentLogs.size > LOG_MEMORY) recentLogs.clear();
    recentLogs.set(message, now);
    const detail = { code: refusal.code, status: refusal.status };
    // The request's own logger (pino order) first: its lines carry the request id.
    if (context?.log !== undefined) context.log[level](detail, message);
    else (context?.logger ?? settings.logger)[level](message, detail);
  }

  /**
   * One debug-level line per refusal with its codes, for "why was this token refused?".
   * Never the token, never upstream text: the message is built from our own codes only.
   */
  function logReason(context: CallContext | undefined, refusal: TokenGuardError): void {
    const message = `tokenguard: refused ${refusal.status} ${refusal.code} (${refusal.reason})`;
    const detail = { status: refusal.status, code: refusal.code, reason: refusal.reason };
    if (context?.log !== undefined) context.log.debug?.(detail, message);
    else (context?.logger ?? settings.logger).debug?.(message, detail);
  }

  return (error, context, schemes) => {
    let refusal: TokenGuardError;
    if (error instanceof TokenGuardError) {
      refusal = error.answeredWith({
        realm,
        resourceMetadata: settings.resourceMetadata,
        schemes: error.schemes ?? schemes,
      });
    } else if (error instanceof TokenGuardConfigError) {
      // Lazy configuration (discovery) failed: the operator must act; the caller gets a 500.
      refusal = answered(new ServerError({ message: error.message, cause: error }), schemes);
    } else {
      refusal = answered(
        new ServerError({ message: 'unexpected error while validating a token', cause: error }),
        schemes,
      );
    }
    metrics.refusal(refusal.code, refusal.reason);
    logReason(context, refusal);
    if (refusal.status === 500) {
      logOnce(context, 'error', refusal, prefixed(refusal.message || refusal.description));
    } else if (refusal.status === 503) {
      logOnce(context, 'warn', refusal, prefixed(refusal.message));
      if (upstreamErrorChannel.hasSubscribers) {
        upstreamErrorChannel.publish({ code: refusal.code, message: refusal.message });
      }
    }
    if (authFailureChannel.hasSubscribers) {
      authFailureChannel.publish({
        code: refusal.code,
        status: refusal.status,
        reason: refusal.reason,
        detail: refusal.message,
      });
    }
    return refusal;
  };
}

/** One `tokenguard: ` prefix, also for messages that carry one already (configuration errors). */
function prefixed(message: string): string {
  return message.startsWith('tokenguard: ') ? message : `tokenguard: ${message}`;
}
