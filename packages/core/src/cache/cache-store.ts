/**
 * The cache is an interface so that a shared store (Redis, …) can serve many instances.
 * Keys are already hashes of the token and the guard's settings; values are JSON-safe.
 */
export interface CacheStore {
  get(key: string): CachedResult | undefined | Promise<CachedResult | undefined>;
  /** `ttlMs` is always positive; the store must not keep the entry longer. */
  set(key: string, value: CachedResult, ttlMs: number): void | Promise<void>;
  delete?(key: string): void | Promise<void>;
  clear?(): void | Promise<void>;
}

/** A validation outcome worth caching: valid claims, or an inactive/invalid token. */
export type CachedResult =
  | {
      readonly kind: 'valid';
      readonly claims: Record<string, unknown>;
      readonly strategy: 'introspection' | 'jwt';
    }
  | { readonly kind: 'invalid' };
