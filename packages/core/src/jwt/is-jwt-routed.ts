/**
 * Auto-mode routing (`strategy: 'auto'`): which tokens local JWT verification decides.
 * This runs on every request, so it only counts dots; verification decides validity.
 */
import { isBase64Url } from './is-base64url.js';

/**
 * Whether `token` goes to local JWT verification in `auto` mode: any token with two or more
 * dots, well-formed or not, except a compact JWE (five base64url segments whose protected
 * header names an `enc`, RFC 7516 §7.1, §4.1.2), which cannot be verified locally and is
 * introspected.
 *
 * A JWS-like token that fails a strict shape test (`<jwt>==`, a trailing dot) must not fall
 * through to introspection: identity services that introspect their own JWTs answer
 * `active:true` for tokens local verification refuses (another API's access token, an
 * OIDC ID token with `typ: JWT`). Such a token is refused by the JWT path as malformed.
 *
 * @example
 * isJwtRouted('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln'); // true
 * isJwtRouted('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln=='); // true (refused there)
 * isJwtRouted('2YotnFZFEjr1zCsicMWpAA'); // false: opaque, introspected
 */
export function isJwtRouted(token: string): boolean {
  const first = token.indexOf('.');
  if (first === -1 || token.indexOf('.', first + 1) === -1) return false;
  const segments = token.split('.');
  return !(segments.length === 5 && isJweHeader(segments));
}

function isJweHeader(segments: readonly string[]): boolean {
  if (!segments.every(isBase64Url) || segments[0] === '') return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(segments[0] as string, 'base64url').toString());
    return (
      typeof header === 'object' &&
      header !== null &&
      typeof (header as { enc?: unknown }).enc === 'string'
    );
  } catch {
    return false;
  }
}
