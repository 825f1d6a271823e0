/**
 * How an issuer entry (listed in `issuers`, or returned by `resolveIssuer`) inherits the
 * guard's own option groups (`http`, `strategy`, `jwt`, `introspection`): one level deep, the
 * entry's own value winning. A nested group (`introspection.clientAuth`, `jwt.http`) is one
 * value, taken whole from the entry when it sets it, else from the guard, never mixed.
 */
import { checkObject, isPlainObject } from '../options/validators.js';

/**
 * `own` (checked as an object, errors naming `path`) merged over `inherited` key by key; a
 * key the entry leaves `undefined` is inherited. `undefined` when neither sets the group.
 */
export function inheritGroup(
  own: unknown,
  inherited: unknown,
  path: string,
): Record<string, unknown> | undefined {
  if (own === undefined && inherited === undefined) return undefined;
  const merged: Record<string, unknown> = { ...(inherited as Record<string, unknown>) };
  if (own === undefined) return merged;
  for (const [key, value] of Object.entries(checkObject(own, path))) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * Whether the option an entry's error names (`jwt.audience`, `introspection.clientAuth.secret`,
 * `strategy`, `jwt`) holds the guard's value rather than the entry's, so that the error names
 * the path the user wrote it at (`jwt.audience`, not `issuers[1].jwt.audience`).
 */
export function isInheritedOption(
  option: string,
  entry: unknown,
  inherited: Readonly<Record<string, unknown>>,
): boolean {
  const [group = '', member] = option.split('.');
  const key = member?.replace(/\[.*$/, '');
  const own = isPlainObject(entry) ? entry[group] : undefined;
  const shared = inherited[group];
  if (key === undefined) return own === undefined && shared !== undefined;
  const ownSets = isPlainObject(own) && own[key] !== undefined;
  return !ownSets && isPlainObject(shared) && shared[key] !== undefined;
}
