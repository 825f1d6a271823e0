/**
 * The verification key of each protected header, kept between tokens so that a token whose
 * header was seen before is checked synchronously: no key-set lookup, no promise. Internal to
 * the JWT strategy.
 *
 * Keyed by the parsed protected header object (verify-jwt.ts shares one frozen object per
 * distinct encoded header), so every header parameter that chose the key (`kid`, `alg`) is
 * part of the key. An entry is made only after the key set chose the key and every key rule
 * held for that `alg` (key-supplying headers refused, type, import algorithm, RSA size), and
 * the memo is emptied whenever the key set changes (a JWKS refresh), so a key the issuer
 * removed stops verifying exactly when it would have without the memo.
 */
import type { KeyObject, webcrypto } from 'node:crypto';

/**
 * A key that passed every rule, in the form its signature check takes: a node:crypto
 * `KeyObject`, or the `CryptoKey` / HMAC secret itself on the WebCrypto path.
 */
export type CheckedKey = KeyObject | webcrypto.CryptoKey | Uint8Array;

export interface KeyMemo {
  /** The key chosen for `header` under the current key set, if one was. */
  get(header: object): CheckedKey | undefined;
  /** The key set's version now: read before resolving a key, passed to `set`. */
  version(): number;
  /** Keeps the key chosen for `header`, unless the key set changed since `version`. */
  set(header: object, key: CheckedKey, version: number): void;
}

/**
 * @param currentVersion the key set's version: changes on every refresh (0 for keys that
 *   never change). It may start a background refresh of a stale set, as a lookup would.
 * @example
 * const memo = createKeyMemo(() => keySet.version());
 */
export function createKeyMemo(currentVersion: () => number): KeyMemo {
  let keys = new WeakMap<object, CheckedKey>();
  let keysVersion = currentVersion();

  function version(): number {
    const now = currentVersion();
    if (now !== keysVersion) {
      keys = new WeakMap();
      keysVersion = now;
    }
    return now;
  }

  return {
    get(header) {
      version();
      return keys.get(header);
    },
    version,
    set(header, key, resolvedUnder) {
      if (version() === resolvedUnder) keys.set(header, key);
    },
  };
}
