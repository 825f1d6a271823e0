/**
 * Lists of known option keys, tied to the option types: a key added to a type but not to
 * its list (or listed but not in the type) fails to compile, so the runtime check that
 * refuses typos can never refuse a documented option or miss a new one.
 */

/** Every key of every member of a union (plain `keyof` keeps only the shared ones). */
export type KeysOfUnion<T> = T extends unknown ? keyof T & string : never;

/**
 * The keys of `T` as a list, from a record naming each key exactly once: a missing key is
 * a missing property, an unknown one an excess property, both compile errors.
 *
 * @example
 * const CACHE_KEYS = optionKeys<CacheOptions>({ store: true, maxEntries: true, maxTtlMs: true, inactiveTtlMs: true });
 * checkKnownKeys(raw, CACHE_KEYS, 'cache');
 */
export function optionKeys<T>(
  keys: { readonly [K in KeysOfUnion<T>]-?: true },
): readonly KeysOfUnion<T>[] {
  return Object.freeze(Object.keys(keys) as KeysOfUnion<T>[]);
}
