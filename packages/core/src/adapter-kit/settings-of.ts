/**
 * The guard's resolved settings, as the adapters read them: never the raw options, so a
 * prebuilt guard handed to an adapter (`tokenGuard(guard)`, `register(tokenGuard, { guard })`)
 * behaves exactly like the one the adapter builds from the same options (it reads form
 * bodies for `token.body`, logs through the configured logger, answers preflights).
 *
 * Kept under a symbol rather than a public `guard.settings`: their shape is internal and
 * changes with the options; applications read what they need from the guard's own methods.
 */
import type { TokenGuard } from '../guard-types.js';
import { kSettings } from '../internal/symbols.js';
import { consoleLogger } from '../options/console-logger.js';
import type { ResourceMetadata } from '../resource-metadata/create-resource-metadata.js';
import type { NormalizedConfig } from '../settings/normalize-options.js';
import type { TokenGuardLogger } from '../types.js';

/** What the adapter kit reads of a guard's settings. */
export interface GuardSettings {
  /** The configured `logger` (console when none). */
  readonly logger: TokenGuardLogger;
  /** `passCorsPreflight`: preflights go on to the app instead of being answered. */
  readonly passCorsPreflight: boolean;
  /** The RFC 9728 document, with `resourceMetadata`. */
  readonly resourceMetadata: ResourceMetadata | undefined;
  /** `token.body`: the adapter parses form bodies before authenticating. */
  readonly extraction: { readonly allowBodyToken: boolean };
}

// The guard's resolved settings must be readable as `GuardSettings`: a renamed field fails
// to compile here.
const settingsReadable: NormalizedConfig extends GuardSettings ? true : never = true;
void settingsReadable;

/** `guard`'s resolved settings (frozen); the safe defaults for a guard that carries none. */
export function settingsOf(guard: TokenGuard): GuardSettings {
  const settings = (guard as { [kSettings]?: GuardSettings })[kSettings];
  if (settings !== undefined) return settings;
  // A guard from an older copy of the package: what its public fields say, and otherwise the
  // closed defaults (preflights answered, no body tokens).
  return Object.freeze({
    logger: consoleLogger,
    passCorsPreflight: false,
    resourceMetadata: guard.resourceMetadata,
    extraction: Object.freeze({ allowBodyToken: false }),
  });
}
