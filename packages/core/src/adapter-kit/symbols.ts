/**
 * The one home of the symbols adapters tag requests with (after undici's lib/core/symbols.js).
 * `Symbol.for`, so two copies of the package (an app and a library bundling its own) agree.
 * A symbol key is skipped by `JSON.stringify` and `Object.keys`, and (unlike
 * `defineProperty`) keeps the framework's request object in V8's fast-property mode.
 */

/** The guard that authenticated this request. */
export const kGuard = Symbol.for('tokenguard.guard');

/** The adapter (guard plus adapter settings) whose middleware saw this request. */
export const kAdapter = Symbol.for('tokenguard.adapter');
