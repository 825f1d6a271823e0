/**
 * Checks of the single fields of `introspection.clientAuth`. Each throws
 * `TokenGuardConfigError` naming the field; none ever echoes a value (several are secrets).
 */
import { TokenGuardConfigError } from '../errors.js';
import { SCOPE_VALUE } from '../internal/scope-syntax.js';
import { DEFAULTS } from '../options/defaults.js';
import { checkEndpointUrl } from '../options/validators.js';
import { checkSigningKey, SigningKeyProblem } from './check-signing-key.js';
import type { NormalizedSigningKey } from './client-auth-types.js';

/** Longest accepted `refreshSkewSec`, in seconds (one hour). */
const MAX_REFRESH_SKEW_SEC = 3600;

/** A non-empty, well-formed (no lone surrogate) string: it is form-encoded later. */
export function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TokenGuardConfigError(path, 'must be a non-empty string');
  try {
    encodeURIComponent(value);
  } catch {
    throw new TokenGuardConfigError(path, 'must be well-formed Unicode (no lone surrogate)');
  }
  return value;
}

/**
 * The token endpoint: https (http only with `allowInsecureHttp`), no credentials, and no
 * fragment (RFC 6749 §3.2). Returned as its href.
 */
export function endpointUrl(value: unknown, path: string, allowInsecureHttp: boolean): string {
  const url = checkEndpointUrl(value, path, allowInsecureHttp);
  // Credentials in a URL end up in logs; they belong in clientSecret.
  if (url.username !== '' || url.password !== '') {
    throw new TokenGuardConfigError(path, 'must not contain credentials (user:password@)');
  }
  if (url.hash !== '' || String(value).includes('#'))
    throw new TokenGuardConfigError(path, 'must not contain a fragment');
  return url.href;
}

/** RFC 6749 §3.3 `scope`: space-separated scope tokens. */
export function scopeString(value: unknown, path: string): string {
  if (typeof value !== 'string' || !SCOPE_VALUE.test(value)) {
    throw new TokenGuardConfigError(
      path,
      'must be space-separated scope tokens (RFC 6749 §3.3: printable ASCII without `"` or `\\`, single spaces)',
    );
  }
  return value;
}

/** RFC 8707 §2: each `resource` is an absolute URI without a fragment. */
export function resources(value: unknown, path: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TokenGuardConfigError(path, 'must be an absolute URI or a non-empty list of them');
  }
  return Object.freeze(
    list.map((item, i) => {
      const at = typeof value === 'string' ? path : `${path}[${i}]`;
      if (typeof item !== 'string' || !URL.canParse(item))
        throw new TokenGuardConfigError(at, 'must be an absolute URI');
      if (item.includes('#'))
        throw new TokenGuardConfigError(at, 'must not contain a fragment (RFC 8707 §2)');
      return item;
    }),
  );
}

/** Seconds before `expires_in` at which a `client_credentials` token is refreshed. */
export function refreshSkew(value: unknown, path: string): number {
  if (value === undefined) return DEFAULTS.refreshSkewSec;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    value > MAX_REFRESH_SKEW_SEC
  ) {
    throw new TokenGuardConfigError(
      path,
      `must be a number of seconds from 0 to ${MAX_REFRESH_SKEW_SEC}`,
    );
  }
  return value;
}

/** `privateKey`, `alg` and `kid` of `private_key_jwt`, checked once (see `checkSigningKey`). */
export function signingKey(raw: Record<string, unknown>, path: string): NormalizedSigningKey {
  if (raw.privateKey === undefined)
    throw new TokenGuardConfigError(`${path}.privateKey`, 'is required');
  const kid = raw.kid === undefined ? undefined : text(raw.kid, `${path}.kid`);
  try {
    const { key, alg } = checkSigningKey(raw.privateKey, raw.alg);
    return kid === undefined ? { privateKey: key, alg } : { privateKey: key, alg, kid };
  } catch (error) {
    if (error instanceof SigningKeyProblem)
      throw new TokenGuardConfigError(`${path}.${error.field}`, error.expected);
    throw new TokenGuardConfigError(`${path}.privateKey`, 'must be a usable private key');
  }
}

/**
 * Freezes `value` with its secret fields non-enumerable: present by name, absent from
 * `JSON.stringify`, `util.inspect` and object spreads, so printing options never shows them.
 */
export function hideSecrets<T extends object>(value: T, secrets: readonly string[]): Readonly<T> {
  for (const key of secrets) {
    if (Object.hasOwn(value, key)) Object.defineProperty(value, key, { enumerable: false });
  }
  return Object.freeze(value);
}
