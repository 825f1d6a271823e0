/**
 * `node:diagnostics_channel` channels, all created here. Payloads are built only when
 * someone subscribes, and carry at most a token-hash prefix, never a token.
 *
 * - `tokenguard:auth:success`  `{ strategy, tokenHash }`
 * - `tokenguard:auth:failure`  `{ code, status, reason, detail }`: `reason` is the stable
 *   refusal reason code, `detail` the log text (never a token)
 * - `tokenguard:upstream:error` `{ code, message }`
 * - `tokenguard:validate` a TracingChannel (`tracing:tokenguard:validate:start`, `:end`,
 *   `:asyncStart`, `:asyncEnd`, `:error`) around every `authenticate` / `verify`; its
 *   message is a `ValidationTrace` (validation-trace.ts).
 * - `tokenguard:shared-signals:event` `{ jti, eventTypes, evictedSubjects }` after each SET
 *   accepted (a count of subjects, never their values)
 * - `tokenguard:shared-signals:refused` `{ status, err }` after each refused delivery
 */
import { channel, tracingChannel } from 'node:diagnostics_channel';
import type { ValidationTrace } from '../validation-trace.js';

export const authSuccessChannel = channel('tokenguard:auth:success');
export const authFailureChannel = channel('tokenguard:auth:failure');
export const upstreamErrorChannel = channel('tokenguard:upstream:error');
export const validateChannel = tracingChannel<unknown, ValidationTrace>('tokenguard:validate');

/**
 * Whether anyone listens to the validate trace. `TracingChannel.hasSubscribers` is a recent
 * addition that not every runtime has (Bun's reads `undefined`); where it is missing, the
 * five channels it sums up answer the same question.
 */
export const validateHasSubscribers: () => boolean =
  typeof (validateChannel as { hasSubscribers?: unknown }).hasSubscribers === 'boolean'
    ? () => validateChannel.hasSubscribers
    : () =>
        validateChannel.start.hasSubscribers ||
        validateChannel.end.hasSubscribers ||
        validateChannel.asyncStart.hasSubscribers ||
        validateChannel.asyncEnd.hasSubscribers ||
        validateChannel.error.hasSubscribers;
export const securityEventChannel = channel('tokenguard:shared-signals:event');
export const securityEventRefusedChannel = channel('tokenguard:shared-signals:refused');
