import type { TokenGuardLogger } from '../types.js';
/** The default logger: the console, called the way `console` expects. */

/**
 * Logs to the console. Messages start with `tokenguard: `; the detail object, when there
 * is one, follows the message (the order `console` and console-like loggers use).
 *
 * @example
 * consoleLogger.warn('tokenguard: introspection endpoint id.example:443 refused the connection');
 */
export const consoleLogger: TokenGuardLogger = messageFirst(console);

/** A console-like logger called `(message, detail)`; no detail prints no trailing `''`. */
function messageFirst(target: {
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}): TokenGuardLogger {
  return {
    warn: (message, detail) =>
      detail === undefined ? target.warn(message) : target.warn(message, detail),
    error: (message, detail) =>
      detail === undefined ? target.error(message) : target.error(message, detail),
  };
}
