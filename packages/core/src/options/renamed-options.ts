/**
 * Options renamed when they were grouped by what they govern (before 1.0), old path → new
 * path, relative to the options object that holds them (an `issuers[]` entry's paths are
 * those of the guard). An old name is refused at construction naming its new one, never
 * silently ignored; the CHANGELOG carries the same table.
 */
export const RENAMED_OPTIONS: Readonly<Record<string, string>> = Object.freeze({
  allowBodyToken: 'token.body',
  allowQueryToken: 'token.query',
  maxHeaderBytes: 'token.maxHeaderBytes',
  cookie: 'token.cookie',
  cookieOnUnsafeMethods: 'token.cookieOnUnsafeMethods',
  getToken: 'token.getToken',
  'jwt.requireAudience': 'jwt.checkAudience',
  'introspection.requireAudience': 'introspection.requireAudClaim',
  'introspection.timeoutMs': 'http.timeoutMs',
  'introspection.maxResponseBytes': 'http.maxResponseBytes',
  'introspection.connections': 'http.connections',
  'introspection.dispatcher': 'http.dispatcher',
  'jwt.jwksTimeoutMs': 'jwt.http.timeoutMs',
});

/** The new path of a renamed option, or `undefined`. */
export function renamedOption(path: string): string | undefined {
  return Object.hasOwn(RENAMED_OPTIONS, path) ? RENAMED_OPTIONS[path] : undefined;
}
