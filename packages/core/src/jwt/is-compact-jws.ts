/**
 * A shape test for applications (e.g. to route tokens of their own): whether a string looks
 * like a compact JWS. It decides nothing about validity. The guard's own `auto` routing is
 * deliberately looser (any token with two dots goes to local verification): see
 * is-jwt-routed.ts.
 */
import { isBase64Url } from './is-base64url.js';

/**
 * Longest protected header we bother decoding, in characters of base64url. Real JOSE headers
 * are a few hundred bytes; anything bigger is not worth parsing just to route a request.
 */
const MAX_HEADER_CHARS = 4096;

/**
 * Whether `token` has the shape of a JWS in compact serialisation (RFC 7515 §7.1): three
 * base64url segments separated by dots, whose first segment decodes to a JSON object with an
 * `alg` string (RFC 7515 §4.1.1).
 *
 * The signature segment may be empty so that an unsecured `alg: none` token (RFC 7519 §6)
 * is still routed to local verification and refused there, without costing an introspection
 * call. A JWE (five segments, RFC 7516 §7.1) is not a JWS and returns `false`.
 *
 * @example
 * isCompactJws('eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln'); // true
 * isCompactJws('2YotnFZFEjr1zCsicMWpAA'); // false: an opaque token
 */
export function isCompactJws(token: string): boolean {
  if (typeof token !== 'string') return false;
  const first = token.indexOf('.');
  if (first <= 0) return false;
  const second = token.indexOf('.', first + 1);
  // The payload of a JWT is a JSON object, never empty (RFC 7519 §7.2 step 10).
  if (second <= first + 1) return false;
  if (token.indexOf('.', second + 1) !== -1) return false;
  const header = token.slice(0, first);
  if (header.length > MAX_HEADER_CHARS || header.length % 4 === 1) return false;
  if (!isBase64Url(header)) return false;
  if (!isBase64Url(token.slice(first + 1, second))) return false;
  if (!isBase64Url(token.slice(second + 1))) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  return (
    typeof parsed === 'object' &&
    parsed !== null &&
    !Array.isArray(parsed) &&
    typeof (parsed as { alg?: unknown }).alg === 'string'
  );
}
