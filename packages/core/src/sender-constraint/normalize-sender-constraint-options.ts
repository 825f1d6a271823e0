/**
 * Checks the `dpop` and `mtls` options once, at construction (a typo is a startup error,
 * never a per-request 401).
 */

import { TokenGuardConfigError } from '../errors.js';
import { ASYMMETRIC_ALGORITHMS } from '../internal/asymmetric-algorithms.js';
import { DEFAULTS } from '../options/defaults.js';
import type { CertificateSource, DpopMode } from '../options/types.js';
import {
  checkKnownKeys,
  checkObject,
  isPlainObject,
  optionalInteger,
  optionalStringList,
} from '../options/validators.js';
import { createDpopNonces, type DpopNonces } from './create-dpop-nonces.js';
import { canonicalAddress } from './read-client-certificate.js';

export interface NormalizedDpop {
  readonly mode: DpopMode;
  readonly algorithms: readonly string[];
  readonly maxProofAgeSec: number;
  readonly origins: readonly string[] | undefined;
  readonly nonces: DpopNonces | undefined;
  readonly maxReplayEntries: number;
}

const DPOP_KEYS = [
  'mode',
  'algorithms',
  'maxProofAgeSec',
  'origins',
  'nonce',
  'maxReplayEntries',
] as const;
const MODES: readonly DpopMode[] = ['disabled', 'allowed', 'required'];

/** `dpop` is a mode or an object: say both when it is neither (`dpop: true`). */
function dpopObject(value: unknown): Record<string, unknown> {
  if (isPlainObject(value)) return value;
  throw new TokenGuardConfigError(
    'dpop',
    "must be 'disabled', 'allowed', 'required', or an object such as { mode: 'allowed', origins: [...] }",
  );
}

export function normalizeDpopOption(value: unknown): NormalizedDpop {
  const raw: Record<string, unknown> =
    value === undefined || typeof value === 'string'
      ? { mode: value ?? 'disabled' }
      : dpopObject(value);
  checkKnownKeys(raw, DPOP_KEYS, 'dpop');
  const mode = raw.mode as DpopMode;
  if (!MODES.includes(mode)) {
    throw new TokenGuardConfigError(
      typeof value === 'string' ? 'dpop' : 'dpop.mode',
      "must be 'disabled', 'allowed' or 'required'",
    );
  }
  let algorithms: readonly string[] = ASYMMETRIC_ALGORITHMS;
  if (raw.algorithms !== undefined) {
    const list = raw.algorithms;
    if (
      !Array.isArray(list) ||
      list.length === 0 ||
      !list.every((a) => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a))
    ) {
      // RFC 9449 §4.3 check 5: asymmetric only; `none` and MAC algorithms never.
      throw new TokenGuardConfigError(
        'dpop.algorithms',
        `must be a non-empty list of asymmetric algorithms (${ASYMMETRIC_ALGORITHMS.join(', ')})`,
      );
    }
    algorithms = Object.freeze([...new Set(list as string[])]);
  }
  let origins: readonly string[] | undefined;
  if (raw.origins !== undefined) {
    const list = raw.origins;
    if (!Array.isArray(list) || list.length === 0) {
      throw new TokenGuardConfigError('dpop.origins', 'must be a non-empty list of origins');
    }
    origins = Object.freeze(list.map((origin, i) => checkOrigin(origin, `dpop.origins[${i}]`)));
  }
  return Object.freeze({
    mode,
    algorithms,
    maxProofAgeSec: optionalInteger(
      raw.maxProofAgeSec,
      'dpop.maxProofAgeSec',
      DEFAULTS.dpopMaxProofAgeSec,
      {
        min: 1,
        max: 3600,
      },
    ),
    origins,
    nonces: normalizeNonce(raw.nonce),
    maxReplayEntries: optionalInteger(
      raw.maxReplayEntries,
      'dpop.maxReplayEntries',
      DEFAULTS.dpopMaxReplayEntries,
      {
        min: 1,
      },
    ),
  });
}

function checkOrigin(value: unknown, path: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new TokenGuardConfigError(
      path,
      'must be an origin like https://api.example.com (no path)',
    );
  }
  return url.origin;
}

function normalizeNonce(value: unknown): DpopNonces | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return createDpopNonces({ maxAgeSec: 300 });
  const raw = checkObject(value, 'dpop.nonce');
  checkKnownKeys(raw, ['secret', 'maxAgeSec'], 'dpop.nonce');
  let secret: Uint8Array | undefined;
  if (raw.secret !== undefined) {
    secret =
      typeof raw.secret === 'string'
        ? Buffer.from(raw.secret)
        : raw.secret instanceof Uint8Array
          ? raw.secret
          : undefined;
    if (secret === undefined || secret.length < 32) {
      throw new TokenGuardConfigError('dpop.nonce.secret', 'must be at least 32 bytes');
    }
  }
  return createDpopNonces({
    secret,
    maxAgeSec: optionalInteger(raw.maxAgeSec, 'dpop.nonce.maxAgeSec', DEFAULTS.dpopNonceMaxAgeSec, {
      min: 2,
      max: 86_400,
    }),
  });
}

export function normalizeMtlsOption(
  value: unknown,
): { certificateFrom: CertificateSource } | undefined {
  if (value === undefined) return undefined;
  const raw = checkObject(value, 'mtls');
  checkKnownKeys(raw, ['certificateFrom'], 'mtls');
  const from = raw.certificateFrom;
  if (from === 'socket') return Object.freeze({ certificateFrom: 'socket' as const });
  if (!isPlainObject(from)) {
    throw new TokenGuardConfigError(
      'mtls.certificateFrom',
      "must be 'socket' or { header, trustedProxies }",
    );
  }
  checkKnownKeys(from, ['header', 'trustedProxies'], 'mtls.certificateFrom');
  const header = from.header;
  if (typeof header !== 'string' || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/i.test(header)) {
    throw new TokenGuardConfigError('mtls.certificateFrom.header', 'must be a header name');
  }
  const proxies = optionalStringList(
    from.trustedProxies ?? [],
    'mtls.certificateFrom.trustedProxies',
    'must be a non-empty list of proxy addresses (a header from anyone else is ignored)',
    { single: false },
  ) as readonly string[];
  return Object.freeze({
    certificateFrom: Object.freeze({
      header: header.toLowerCase(),
      trustedProxies: Object.freeze(proxies.map((p) => canonicalAddress(p))),
    }),
  });
}
