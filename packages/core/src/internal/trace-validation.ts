/**
 * Runs one validation inside the `tokenguard:validate` TracingChannel when anyone
 * subscribes, and directly otherwise (one property read on the hot path).
 */
import { TokenGuardError } from '../errors.js';
import type { ValidationTrace } from '../validation-trace.js';
import { validateChannel, validateHasSubscribers } from './diagnostics.js';

/** A fresh trace, or `undefined` when nobody listens (then nothing is recorded). */
export function startTrace(operation: ValidationTrace['operation']): ValidationTrace | undefined {
  if (!validateHasSubscribers()) return undefined;
  return { operation, cacheTier: 'none', upstreamCalled: false, coalesced: false, stale: false };
}

/**
 * Runs `run` traced. The channel's `result` is left empty on purpose: the auth context holds
 * claim values, which must not reach a trace; the refusal on `error` carries only codes.
 */
export async function traceValidation<T>(
  trace: ValidationTrace,
  run: () => Promise<T>,
): Promise<T> {
  let value: T | undefined;
  await validateChannel.tracePromise(async () => {
    try {
      value = await run();
    } catch (error) {
      if (error instanceof TokenGuardError) {
        trace.status = error.status;
        trace.code = error.code;
        const reason = (error as { reason?: unknown }).reason;
        if (typeof reason === 'string') trace.reason = reason;
      }
      throw error;
    }
  }, trace);
  return value as T;
}
