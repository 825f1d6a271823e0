/**
 * Freezes a JSON-like value and everything reachable from it, once, when it enters the
 * cache: every request for that token then shares the same claims, so a handler that
 * writes to `req.auth.claims` (say `Object.assign(claims, { scope: '… admin' })`) must
 * fail instead of changing what later requirement checks see.
 */
export function deepFreeze<T>(value: T, seen: WeakSet<object> = new WeakSet()): T {
  if (value === null || typeof value !== 'object' || seen.has(value)) return value;
  seen.add(value);
  // Already-frozen objects are walked too: JWT claims arrive frozen one level deep only.
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
  }
  return Object.freeze(value);
}
