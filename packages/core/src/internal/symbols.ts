/**
 * The one home of tokenguard's symbols (after undici's lib/core/symbols.js). All are
 * `Symbol.for`, so two copies of the package (an app and a library bundling its own) agree.
 * A symbol key is skipped by `JSON.stringify` and `Object.keys`, and (unlike
 * `defineProperty`) keeps a framework's request object in V8's fast-property mode.
 */

/** Carried by every tokenguard request-path error (`TokenGuardError` and its subclasses). */
export const ERROR_BRAND = Symbol.for('tokenguard.error');

/** The brand of one error class: `Symbol.for('tokenguard.<name>')`. */
export function brandOf(name: string): symbol {
  return Symbol.for(`tokenguard.${name}`);
}

/** True when `value` is an object carrying `brand` (own or inherited). */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[brand] === true
  );
}

/** The guard that authenticated a request (adapters tag requests with it). */
export const kGuard = Symbol.for('tokenguard.guard');

/** The adapter (guard plus adapter settings) whose middleware saw a request. */
export const kAdapter = Symbol.for('tokenguard.adapter');

/**
 * On a guard: its resolved settings (frozen, built once by `createGuard`). The adapter kit
 * reads them, so a prebuilt guard handed to an adapter behaves exactly like one the adapter
 * builds from the same options.
 */
export const kSettings = Symbol.for('tokenguard.settings');

/** Each branded class and the brand its instances carry. */
const CLASS_BRANDS = new WeakMap<object, symbol>();

/**
 * Brands `errorClass` and its instances with `brand` (`Symbol.for`, shared by every copy of
 * the package); the class's `Symbol.hasInstance` then calls `isBrandedInstance`.
 */
export function brandClass(
  errorClass: abstract new (...args: never[]) => object,
  brand: symbol,
): void {
  CLASS_BRANDS.set(errorClass, brand);
  Object.defineProperty(errorClass.prototype, brand, { value: true });
}

/**
 * `instanceof` by brand, so an error thrown by another copy of the package (an app and a
 * library each bundling tokenguard) is still recognised; a class without a brand (a user's
 * subclass) falls back to the prototype chain.
 */
export function isBrandedInstance(errorClass: object, value: unknown): boolean {
  const brand = CLASS_BRANDS.get(errorClass);
  if (brand === undefined) return Function.prototype[Symbol.hasInstance].call(errorClass, value);
  return hasBrand(value, brand);
}
