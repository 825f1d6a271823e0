/**
 * The RFC 9728 document as a route of its own, for each adapter's `resourceMetadataHandler`.
 * The guard's middleware serves the document only for requests that reach it: one mounted on
 * a route or under a path prefix never sees the well-known path (RFC 9728 §3 puts it at the
 * host's root), so the app mounts this handler at the root instead.
 */
import { TokenGuardConfigError } from '../errors.js';
import type { TokenGuard } from '../guard-types.js';
import { serveResourceMetadata } from '../resource-metadata/serve-resource-metadata.js';
import type { Answer } from './answer.js';
import { isGuard } from './is-guard.js';
import { settingsOf } from './settings-of.js';

/** A guard, or `tokenGuard()`'s middleware, which carries one. */
export type GuardSource = TokenGuard | { readonly guard: TokenGuard };

export interface ResourceMetadataEndpoint {
  /** The document's paths: the plain well-known path and the path-suffixed one (§3.1). */
  readonly paths: readonly string[];
  /** The answer for `GET`/`HEAD` at one of `paths`; `undefined` for any other request. */
  serve(method: string, url: string): Answer | undefined;
}

/** Guards whose document the app serves with a handler of its own. */
const served = new WeakSet<TokenGuard>();

/**
 * @param name the adapter's export, for the configuration error.
 * @throws TokenGuardConfigError when `source` is no guard, or its guard has no `resourceMetadata`.
 */
export function createResourceMetadataEndpoint(
  source: GuardSource,
  name = 'resourceMetadataHandler',
): ResourceMetadataEndpoint {
  const guard = isGuard(source) ? source : (source as { guard?: unknown } | undefined)?.guard;
  if (!isGuard(guard)) {
    throw new TokenGuardConfigError(name, "needs the guard (or tokenGuard()'s middleware)");
  }
  const metadata = settingsOf(guard).resourceMetadata;
  if (metadata === undefined) {
    throw new TokenGuardConfigError(
      'resourceMetadata',
      `is not set on this guard: ${name} has no document to serve`,
    );
  }
  served.add(guard);
  return {
    paths: metadata.paths,
    serve: (method, url) => serveResourceMetadata(metadata, method, url),
  };
}

/** Whether the app serves `guard`'s document with `resourceMetadataHandler`. */
export function servesResourceMetadata(guard: TokenGuard): boolean {
  return served.has(guard);
}
