/**
 * Compact, authenticated values. Anyone who can write to Redis must not be able to mint an
 * identity: every value carries an HMAC-SHA256 (RFC 2104) over the Redis key it is stored
 * under and its payload, with a key only the application holds. A value that fails the
 * check (forged, copied to another token's key, truncated) decodes to `undefined`.
 *
 * Wire form: `2.<base64url MAC>.<JSON payload>`; the payload is `{ f, w, u?, t?, v }`: `f`
 * the fresh-until time (epoch ms), `w` when the verdict was validated (epoch ms: inside the
 * MAC, so a saved value written back after an eviction is known for what it is), `u` the
 * subject key, `t` the token's guard-wide key, `v` the cached result as the guard made it,
 * whatever fields it carries (claims, strategy, reason, notAfterMs, issuer…).
 *
 * A value longer than {@link MAX_VALUE_BYTES} is refused before its MAC is computed: a
 * planted huge value must not cost the event loop a hash over megabytes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CachedResult, CacheEntry, Invalidation } from '@tokenguard/core';

const VERSION = '2';
const MAC_BYTES = 32;
/** The longest value (or message) that is checked at all, in bytes: far above any real entry. */
export const MAX_VALUE_BYTES = 262_144;

interface Payload {
  f: number;
  w: number;
  u?: string;
  t?: string;
  v: CachedResult;
}

/** A message on the channel: invalidations, and "filled" for single-flight waiters. */
export type ChannelMessage = Invalidation | { readonly kind: 'filled'; readonly key: string };

export interface EntryCodec {
  encode(redisKey: string, entry: CacheEntry): string;
  /** The entry, or `undefined` when the value is not one we wrote for this key. */
  decode(redisKey: string, value: string): CacheEntry | undefined;
  encodeMessage(channel: string, message: ChannelMessage): string;
  /** A time (epoch ms) kept under `redisKey`: a subject's revocation. */
  encodeTime(redisKey: string, ms: number): string;
  decodeTime(redisKey: string, value: string): number | undefined;
  decodeMessage(channel: string, value: string): ChannelMessage | undefined;
}

export function createEntryCodec(hmacKey: Uint8Array): EntryCodec {
  function mac(scope: string, payload: string): Buffer {
    // The key (or channel) is bound into the MAC: a genuine value copied under another
    // token's key does not verify there.
    return createHmac('sha256', hmacKey).update(scope).update('\n').update(payload).digest();
  }

  function seal(scope: string, payload: string): string {
    return `${VERSION}.${mac(scope, payload).toString('base64url')}.${payload}`;
  }

  function open(scope: string, value: string): unknown {
    // Bytes are at least UTF-16 units: this cheap test is enough to refuse before hashing.
    if (value.length > MAX_VALUE_BYTES) return undefined;
    const first = value.indexOf('.');
    const second = value.indexOf('.', first + 1);
    if (first < 0 || second < 0 || value.slice(0, first) !== VERSION) return undefined;
    const given = Buffer.from(value.slice(first + 1, second), 'base64url');
    const payload = value.slice(second + 1);
    if (given.length !== MAC_BYTES || !timingSafeEqual(given, mac(scope, payload))) {
      return undefined;
    }
    try {
      return JSON.parse(payload);
    } catch {
      return undefined;
    }
  }

  return {
    encode(redisKey, entry) {
      const payload: Payload = {
        f: entry.freshUntilMs,
        w: entry.validatedAtMs ?? Date.now(),
        u: entry.subjectKey,
        t: entry.tokenKey,
        v: entry.result,
      };
      return seal(redisKey, JSON.stringify(payload));
    },

    decode(redisKey, value) {
      const p = open(redisKey, value) as Payload | undefined;
      if (typeof p !== 'object' || p === null || typeof p.f !== 'number') return undefined;
      if (typeof p.w !== 'number' || !isResult(p.v)) return undefined;
      return {
        result: p.v,
        freshUntilMs: p.f,
        validatedAtMs: p.w,
        ...(typeof p.u === 'string' ? { subjectKey: p.u } : {}),
        ...(typeof p.t === 'string' ? { tokenKey: p.t } : {}),
      };
    },

    encodeTime(redisKey, ms) {
      return seal(redisKey, JSON.stringify({ t: ms }));
    },

    decodeTime(redisKey, value) {
      const p = open(redisKey, value) as { t?: unknown } | undefined;
      return typeof p === 'object' && p !== null && typeof p.t === 'number' ? p.t : undefined;
    },

    encodeMessage(channel, message) {
      return seal(channel, JSON.stringify(message));
    },

    decodeMessage(channel, value) {
      const m = open(channel, value) as ChannelMessage | undefined;
      if (typeof m !== 'object' || m === null) return undefined;
      if (m.kind === 'filled') return typeof m.key === 'string' ? m : undefined;
      // `lost` / `resumed` are never published: a store says them only to its own listeners.
      if (m.kind !== 'key' && m.kind !== 'subject') return undefined;
      if (m.atMs !== undefined && typeof m.atMs !== 'number') return undefined;
      if (m.kind === 'subject' && !isNumberOrAbsent(m.issuedBeforeMs)) return undefined;
      if (m.kind === 'subject' && !isNumberOrAbsent(m.keepMs)) return undefined;
      if (m.kind === 'key' && typeof m.key === 'string') return m;
      if (m.kind === 'subject' && typeof m.subjectKey === 'string') return m;
      return undefined;
    },
  };
}

/** Only the two shapes the guard writes; the guard re-checks the details on read. */
function isResult(value: unknown): value is CachedResult {
  const r = value as CachedResult | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return false;
  if (r.kind === 'invalid') return r.reason === undefined || typeof r.reason === 'string';
  return (
    r.kind === 'valid' &&
    typeof r.claims === 'object' &&
    r.claims !== null &&
    !Array.isArray(r.claims) &&
    (r.strategy === 'introspection' || r.strategy === 'jwt')
  );
}

function isNumberOrAbsent(value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && Number.isFinite(value));
}
