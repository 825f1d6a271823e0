/** Small option validators shared by the option normalisers. Each throws `TokenGuardConfigError`. */
import { TokenGuardConfigError } from '../errors.js';
import { renamedOption } from './renamed-options.js';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function checkObject(value: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new TokenGuardConfigError(path, 'must be an object');
  return value;
}

/**
 * Typos are configuration errors, not silently ignored settings: a renamed option names its
 * new path, any other unknown key the nearest known one.
 */
export function checkKnownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  path: string,
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const option = `${path}${path ? '.' : ''}${key}`;
      const renamed = renamedOption(option);
      const near = renamed === undefined ? nearestKey(key, known) : undefined;
      throw new TokenGuardConfigError(
        option,
        renamed !== undefined
          ? `is not a known option; it was renamed to \`${renamed}\``
          : near === undefined
            ? 'is not a known option'
            : `is not a known option; did you mean \`${near}\`?`,
      );
    }
  }
}

/**
 * The known key a typo most likely meant: the same letters in another case, else the
 * closest by edit distance (at most 2, or a third of the key's length for long keys).
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const sameLetters = known.find((k) => k.toLowerCase() === lower);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, two rows at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        substitution,
      );
    }
    previous = current;
  }
  return previous[b.length] as number;
}

export function optionalBoolean(value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TokenGuardConfigError(path, 'must be a boolean');
  return value;
}

export function optionalInteger(
  value: unknown,
  path: string,
  fallback: number,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TokenGuardConfigError(path, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

export function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '')
    throw new TokenGuardConfigError(path, 'must be a non-empty string');
  return value;
}

/**
 * The one string-list rule: a non-empty list of non-empty strings (audiences, algorithms,
 * brands, proxy addresses, event types), or one string where `single` allows it (the
 * default), frozen and without repeats; `undefined` stays `undefined`. `expected` replaces
 * the text of the error where the option has a rule of its own to state.
 */
export function optionalStringList(
  value: unknown,
  path: string,
  expected = 'must be a non-empty string or list of strings',
  { single = true }: { single?: boolean } = {},
): readonly string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' && single ? [value] : value;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    list.some((item) => typeof item !== 'string' || item === '')
  ) {
    throw new TokenGuardConfigError(path, expected);
  }
  return Object.freeze([...new Set(list as string[])]);
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The one rule for every URL the guard calls or trusts: https, or http only with
 * `allowInsecureHttp` (tests, local development).
 */
export function isAllowedScheme(url: URL, allowInsecureHttp: boolean): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && allowInsecureHttp);
}

/**
 * An endpoint URL option, checked with `isAllowedScheme`.
 *
 * @example
 * const endpoint = checkEndpointUrl(raw.endpoint, 'introspection.endpoint', allowInsecureHttp);
 */
export function checkEndpointUrl(value: unknown, path: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(String(optionalString(value, path)));
  } catch {
    throw new TokenGuardConfigError(path, 'must be an absolute URL');
  }
  if (isAllowedScheme(url, allowInsecureHttp)) return url;
  throw new TokenGuardConfigError(
    path,
    url.protocol === 'http:'
      ? 'must use https (set allowInsecureHttp for local development)'
      : 'must be an https URL',
  );
}

/**
 * An issuer identifier (RFC 8414 §2): an endpoint URL with no query or fragment.
 *
 * @example
 * checkIssuerUrl(raw.issuer, 'issuer', allowInsecureHttp);
 */
export function checkIssuerUrl(value: unknown, path: string, allowInsecureHttp: boolean): URL {
  const url = checkEndpointUrl(value, path, allowInsecureHttp);
  const text = value as string;
  if (url.search !== '' || url.hash !== '' || text.includes('?') || text.includes('#')) {
    throw new TokenGuardConfigError(path, 'must not have a query or fragment (RFC 8414 §2)');
  }
  return url;
}

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || url.hostname.startsWith('127.');
}
