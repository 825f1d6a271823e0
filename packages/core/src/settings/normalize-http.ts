/**
 * The `http` options, checked once: the guard's (every outbound call), an `issuers[]` entry's
 * (merged key by key over the guard's), and one endpoint's own bounds (`introspection.http`,
 * `jwt.http`, in options/call-bounds.ts) over them.
 */
import type { Dispatcher } from 'undici';
import { TokenGuardConfigError } from '../errors.js';
import type { OutboundSettings } from '../internal/http-client.js';
import { maxResponseBytes, timeoutMs } from '../options/call-bounds.js';
import { DEFAULTS } from '../options/defaults.js';
import { optionKeys } from '../options/option-keys.js';
import type { HttpOptions } from '../options/types.js';
import { checkKnownKeys, optionalInteger } from '../options/validators.js';
import { inheritGroup } from './inherit-options.js';

const HTTP_KEYS = optionKeys<HttpOptions>({
  timeoutMs: true,
  maxResponseBytes: true,
  connections: true,
  dispatcher: true,
  fetch: true,
});

/**
 * `http` of the guard, or of an issuer entry over the guard's (`inherited`, unchecked: it was
 * checked as the guard's own). Errors name `path` (`http`, `issuers[1].http`).
 */
export function normalizeHttp(
  value: unknown,
  path = 'http',
  inherited?: Record<string, unknown>,
): OutboundSettings {
  // The inherited keys were checked as the guard's own: checking them again names no new path.
  const raw = inheritGroup(value, inherited, path) ?? {};
  checkKnownKeys(raw, HTTP_KEYS, path);
  if (raw.fetch !== undefined && typeof raw.fetch !== 'function') {
    throw new TokenGuardConfigError(`${path}.fetch`, 'must be a fetch function');
  }
  const dispatcher = raw.dispatcher as Dispatcher | undefined;
  if (
    dispatcher !== undefined &&
    typeof (dispatcher as { dispatch?: unknown }).dispatch !== 'function'
  ) {
    throw new TokenGuardConfigError(`${path}.dispatcher`, 'must be an undici Dispatcher');
  }
  // One transport per client: a dispatcher or a pool size only means something to undici.
  for (const key of ['dispatcher', 'connections'] as const) {
    if (raw.fetch !== undefined && raw[key] !== undefined) {
      throw new TokenGuardConfigError(`${path}.${key}`, 'cannot be used with `http.fetch`');
    }
  }
  return Object.freeze({
    timeoutMs: timeoutMs(raw.timeoutMs, path, DEFAULTS.upstreamTimeoutMs),
    maxResponseBytes: maxResponseBytes(raw.maxResponseBytes, path, DEFAULTS.maxResponseBytes),
    connections: optionalInteger(raw.connections, `${path}.connections`, DEFAULTS.connections, {
      min: 1,
      max: 4096,
    }),
    dispatcher,
    fetch: raw.fetch as typeof fetch | undefined,
  });
}
