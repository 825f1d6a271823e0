/**
 * Server-provided DPoP nonces (RFC 9449 §8–9) without server state: a nonce is the time
 * it was issued and an HMAC of it, so every instance sharing the secret accepts every
 * other instance's nonces, and a nonce stops being accepted after `maxAgeSec`. The
 * current nonce changes every `maxAgeSec / 2`, so a client always holds a valid one for
 * at least that long.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface DpopNonces {
  /** The nonce to hand out now (`DPoP-Nonce` header). */
  current(nowSec: number): string;
  /** Whether `nonce` is one of ours and still fresh. */
  accepts(nonce: string, nowSec: number): boolean;
}

export interface DpopNonceSettings {
  /** HMAC key shared by every instance; random per guard when absent. */
  readonly secret?: Uint8Array;
  /** How long a nonce is accepted, in seconds. */
  readonly maxAgeSec: number;
}

export function createDpopNonces(settings: DpopNonceSettings): DpopNonces {
  const secret = settings.secret ?? randomBytes(32);
  const step = Math.max(1, Math.floor(settings.maxAgeSec / 2));
  const mac = (issuedSec: number) =>
    createHmac('sha256', secret).update(`dpop-nonce.${issuedSec}`).digest();

  let cached: { issuedSec: number; nonce: string } | undefined;
  return {
    current(nowSec) {
      const issuedSec = Math.floor(nowSec / step) * step;
      if (cached?.issuedSec !== issuedSec) {
        const nonce = `${issuedSec.toString(36)}.${mac(issuedSec).toString('base64url')}`;
        cached = { issuedSec, nonce };
      }
      return cached.nonce;
    },
    accepts(nonce, nowSec) {
      const dot = nonce.indexOf('.');
      if (dot < 1 || nonce.length > 80) return false;
      const issuedSec = Number.parseInt(nonce.slice(0, dot), 36);
      if (!Number.isSafeInteger(issuedSec) || issuedSec.toString(36) !== nonce.slice(0, dot)) {
        return false;
      }
      if (issuedSec > nowSec + 1 || issuedSec + settings.maxAgeSec < nowSec) return false;
      const given = Buffer.from(nonce.slice(dot + 1), 'base64url');
      const expected = mac(issuedSec);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
