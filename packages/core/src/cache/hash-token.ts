import { hash } from 'node:crypto';

/**
 * The cache key of a token: `sha256(namespace NUL token)`, base64url. The namespace is a
 * fingerprint of the guard's validation settings, so two guards sharing one store can
 * never serve each other's results; the raw token is never stored.
 */
export function hashToken(namespace: string, token: string): string {
  // One-shot `crypto.hash` (Node >= 20.12): no Hash object per request on the hot path.
  return hash('sha256', `${namespace}\0${token}`, 'base64url');
}

/**
 * The key under which a subject's entries are found for `evictSubject`: a hash in the
 * guard's namespace (and a domain of its own, so it can never equal a token's key).
 */
export function hashSubject(namespace: string, sub: string): string {
  return hash('sha256', `${namespace}\0sub\0${sub}`, 'base64url');
}

/**
 * How the introspection breaker tells tokens apart (it counts distinct tokens, so one token
 * cannot open it for everyone): a hash in a domain of its own, never the token.
 */
export function hashBreakerSubject(token: string): string {
  return hash('sha256', `breaker\0${token}`, 'base64url');
}
