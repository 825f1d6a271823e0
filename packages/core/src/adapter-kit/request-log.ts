import type { RequestLog } from '../guard-types.js';

/** `value` when it can log like pino, else `undefined` (apps without a request logger). */
export function requestLogOf(value: unknown): RequestLog | undefined {
  return typeof value === 'object' &&
    value !== null &&
    typeof (value as RequestLog).warn === 'function' &&
    typeof (value as RequestLog).error === 'function'
    ? (value as RequestLog)
    : undefined;
}
