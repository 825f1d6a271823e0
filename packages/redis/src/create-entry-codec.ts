/**
 * Compact, authenticated values. Anyone who can write to Redis must not be able to mint an
 * identity: every value carries an HMAC-SHA256 (RFC 2104) over the Redis key it is stored
 * under and its payload, with a key only the application holds. A value that fails the
 * check (forged, copied to another token's key, truncated) decodes to `undefined`.
 *
 * Wire form: `1.<base64url MAC>.<JSON payload>`; the payload uses one-letter names:
 * `k` kind (1 valid, 0 invalid), `s` strategy (`i` introspection, `j` jwt), `f` fresh-until
 * (epoch ms), `n` not-after (epoch ms), `u` subject key, `r` refusal reason, `c` claims.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { CachedResult, CacheEntry, Invalidation } from '@tokenguard/core';

const VERSION = '1';
const MAC_BYTES = 32;

interface Payload {
  k: 0 | 1;
  s?: 'i' | 'j';
  f: number;
  n?: number;
  u?: string;
  r?: string;
  c?: Record<string, unknown>;
}

/** A message on the channel: invalidations, and "filled" for single-flight waiters. */
export type ChannelMessage = Invalidation | { readonly kind: 'filled'; readonly key: string };

export interface EntryCodec {
  encode(redisKey: string, entry: CacheEntry): string;
  /** The entry, or `undefined` when the value is not one we wrote for this key. */
  decode(redisKey: string, value: string): CacheEntry | undefined;
  encodeMessage(channel: string, message: ChannelMessage): string;
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
      const { result } = entry;
      const payload: Payload =
        result.kind === 'valid'
          ? {
              k: 1,
              s: result.strategy === 'jwt' ? 'j' : 'i',
              f: entry.freshUntilMs,
              n: result.notAfterMs,
              u: entry.subjectKey,
              c: result.claims as Record<string, unknown>,
            }
          : { k: 0, f: entry.freshUntilMs, r: result.reason };
      return seal(redisKey, JSON.stringify(payload));
    },

    decode(redisKey, value) {
      const p = open(redisKey, value) as Payload | undefined;
      if (typeof p !== 'object' || p === null || typeof p.f !== 'number') return undefined;
      let result: CachedResult;
      if (p.k === 0) {
        result = typeof p.r === 'string' ? { kind: 'invalid', reason: p.r } : { kind: 'invalid' };
        return { result, freshUntilMs: p.f };
      }
      if (p.k !== 1 || typeof p.c !== 'object' || p.c === null || Array.isArray(p.c)) {
        return undefined;
      }
      result = {
        kind: 'valid',
        claims: p.c,
        strategy: p.s === 'j' ? 'jwt' : 'introspection',
        ...(typeof p.n === 'number' ? { notAfterMs: p.n } : {}),
      };
      return typeof p.u === 'string'
        ? { result, freshUntilMs: p.f, subjectKey: p.u }
        : { result, freshUntilMs: p.f };
    },

    encodeMessage(channel, message) {
      return seal(channel, JSON.stringify(message));
    },

    decodeMessage(channel, value) {
      const m = open(channel, value) as ChannelMessage | undefined;
      if (typeof m !== 'object' || m === null) return undefined;
      if ((m.kind === 'key' || m.kind === 'filled') && typeof m.key === 'string') return m;
      if (m.kind === 'subject' && typeof m.subjectKey === 'string') return m;
      return undefined;
    },
  };
}
