/**
 * One endpoint's call bounds (`introspection.http`, `jwt.http` for the JWKS) over the bounds
 * of the client that sends them (the guard's or the issuer's `http`), and the one rule for
 * each bound, shared with the `http` option itself.
 */
import { optionKeys } from './option-keys.js';
import type { EndpointHttpOptions } from './types.js';
import { checkKnownKeys, checkObject, optionalInteger } from './validators.js';

const ENDPOINT_HTTP_KEYS = optionKeys<EndpointHttpOptions>({
  timeoutMs: true,
  maxResponseBytes: true,
});

/** One call's bounds: what `introspection.http` and `jwt.http` may set. */
export interface CallBounds {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

export function timeoutMs(value: unknown, path: string, fallback: number): number {
  return optionalInteger(value, `${path}.timeoutMs`, fallback, { min: 1, max: 120_000 });
}

export function maxResponseBytes(value: unknown, path: string, fallback: number): number {
  return optionalInteger(value, `${path}.maxResponseBytes`, fallback, {
    min: 256,
    max: 16 << 20,
  });
}

/** One endpoint's bounds (`introspection.http`, `jwt.http`), over its client's. */
export function normalizeCallBounds(value: unknown, path: string, client: CallBounds): CallBounds {
  const raw = value === undefined ? {} : checkObject(value, path);
  checkKnownKeys(raw, ENDPOINT_HTTP_KEYS, path);
  return Object.freeze({
    timeoutMs: timeoutMs(raw.timeoutMs, path, client.timeoutMs),
    maxResponseBytes: maxResponseBytes(raw.maxResponseBytes, path, client.maxResponseBytes),
  });
}
