import { createHash } from 'node:crypto';
import { TokenGuardConfigError } from '../errors.js';

/**
 * A stable fingerprint of the settings that decide whether a token is valid. Every value
 * must serialise faithfully (two different settings never give the same text): a value
 * that cannot — a function, a `Map`, a class instance — throws at construction rather
 * than silently vanish from the namespace (a `URL` used to serialise as `{}`).
 *
 * @throws TokenGuardConfigError naming the setting's path.
 */
export function fingerprintSettings(settings: unknown): string {
  return createHash('sha256').update(stableJson(settings, '')).digest('base64url').slice(0, 22);
}

function stableJson(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      // JSON turns NaN and ±Infinity into `null`: tag them instead.
      return Number.isFinite(value) ? JSON.stringify(value) : `{"$number":"${value}"}`;
    case 'bigint':
      return `{"$bigint":"${value}"}`;
    case 'undefined':
      return 'null';
    case 'object':
      break;
    default:
      throw unfaithful(path, typeof value);
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    return `[${value.map((item, i) => stableJson(item, `${path}[${i}]`)).join(',')}]`;
  }
  if (value instanceof URL) return `{"$url":${JSON.stringify(value.href)}}`;
  if (value instanceof Uint8Array) {
    return `{"$bytes":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}"}`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw unfaithful(path, proto?.constructor?.name ?? 'an object with a prototype');
  }
  // `undefined` members are the same as absent ones; everything else must serialise.
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries
    .map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v, path === '' ? k : `${path}.${k}`)}`)
    .join(',')}}`;
}

function unfaithful(path: string, what: string): TokenGuardConfigError {
  return new TokenGuardConfigError(
    path || 'options',
    `cannot be part of the cache namespace: a ${what} has no faithful serialisation`,
  );
}
