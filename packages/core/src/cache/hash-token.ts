import { createHash, hash } from 'node:crypto';

/**
 * The cache key of a token: `sha256(namespace NUL token)`, base64url. The namespace is a
 * fingerprint of the guard's validation settings, so two guards sharing one store can
 * never serve each other's results; the raw token is never stored.
 */
export function hashToken(namespace: string, token: string): string {
  // One-shot `crypto.hash` (Node >= 20.12): no Hash object per request on the hot path.
  return hash('sha256', `${namespace}\0${token}`, 'base64url');
}

/** A stable fingerprint of the settings that decide whether a token is valid. */
export function fingerprintSettings(settings: unknown): string {
  return createHash('sha256').update(stableJson(settings)).digest('base64url').slice(0, 16);
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined && typeof v !== 'function')
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
