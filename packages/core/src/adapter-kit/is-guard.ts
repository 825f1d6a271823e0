import type { TokenGuard } from '../guard-types.js';

/** True for a prebuilt guard (from `createGuard`), as opposed to a bag of guard options. */
export function isGuard(value: unknown): value is TokenGuard {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TokenGuard).authenticate === 'function' &&
    typeof (value as TokenGuard).errorResponse === 'function'
  );
}
