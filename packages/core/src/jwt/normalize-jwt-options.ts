/**
 * Validates the `jwt` options once, at construction, into a frozen config. Every rule that
 * keeps local verification safe is enforced here, so a risky combination is a startup error
 * naming the option, never a per-request 401 (RFC 8725 §3.1: algorithm verification).
 */
import { createHash, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';
import { TokenGuardConfigError } from '../errors.js';
import { ASYMMETRIC_ALGORITHMS } from '../internal/asymmetric-algorithms.js';
import { ECDSA_ALGORITHM_OF_CURVE, isShortRsaKey, MIN_RSA_BITS } from '../internal/key-rules.js';
import { type CallBounds, normalizeCallBounds } from '../options/call-bounds.js';
import { DEFAULTS } from '../options/defaults.js';
import { optionKeys } from '../options/option-keys.js';
import type { JwtOptions } from '../options/types.js';
import {
  checkEndpointUrl,
  checkKnownKeys,
  checkObject,
  isPlainObject,
  optionalBoolean,
  optionalInteger,
  optionalString,
  optionalStringList,
} from '../options/validators.js';
import { RFC9068_REQUIRED_CLAIMS } from './check-required-claims.js';

/** Public-key JWS algorithms allowed by default (RFC 7518 §3.1, RFC 8037 §3.1). */
const DEFAULT_JWT_ALGORITHMS: readonly string[] = Object.freeze(
  ASYMMETRIC_ALGORITHMS.filter((alg) => alg !== 'Ed25519'),
);

/** Every public-key algorithm that may be configured: the defaults plus RFC 9864's `Ed25519`. */
const PUBLIC_KEY_ALGORITHMS: readonly string[] = ASYMMETRIC_ALGORITHMS;

/**
 * RFC 7518 §3.2: an HMAC key must be at least as long as the hash output. Bytes per algorithm.
 */
const HMAC_MIN_SECRET_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

const JWT_KEYS = optionKeys<JwtOptions>({
  issuer: true,
  audience: true,
  checkAudience: true,
  algorithms: true,
  requireTyp: true,
  maxTokenAgeSec: true,
  requiredClaims: true,
  jwksCooldownMs: true,
  http: true,
  jwksUri: true,
  keys: true,
  secret: true,
});

/**
 * Where verification keys come from:
 * - `jwks`: a remote JWK Set, at `jwksUri` or, when that is undefined, at discovery's `jwks_uri`;
 * - `static`: the configured public keys (`staticKeys`);
 * - `secret`: a shared HMAC secret (`secret`), the only source that allows HS* algorithms.
 */
export type JwtKeySourceKind = 'jwks' | 'static' | 'secret';

/** The `jwt` options after validation. Frozen; the HMAC secret is not enumerable. */
export interface NormalizedJwtOptions {
  /** Expected `iss` (RFC 7519 §4.1.1), compared exactly. */
  readonly issuer: string;
  /** Accepted `aud` values (one must match, RFC 7519 §4.1.3); `undefined` when not checked. */
  readonly audience: readonly string[] | undefined;
  /** The algorithm allow-list: never `none`, never HMAC mixed with public keys. */
  readonly algorithms: readonly string[];
  /** RFC 9068 §2.1 / §4: require `typ` `at+jwt` (or `application/at+jwt`). */
  readonly requireTyp: boolean;
  /** Oldest accepted `iat`, in seconds; `undefined` for no limit. */
  readonly maxTokenAgeSec: number | undefined;
  /**
   * Claims every token must carry (registered ones with their types). Default with
   * `requireTyp` (the RFC 9068 profile): `iss exp aud sub client_id iat jti` (`aud` left out
   * with `checkAudience: false`); without it: `iss exp` (+ `aud`). `exp` is always included,
   * and `iat` whenever `maxTokenAgeSec` is set.
   */
  readonly requiredClaims: readonly string[];
  /** Clock tolerance for `exp`, `nbf` and `iat`, in seconds. */
  readonly clockToleranceSec: number;
  /** Least time between two JWKS fetches triggered by an unknown `kid`, in milliseconds. */
  readonly jwksCooldownMs: number;
  /** JWKS fetch timeout (`jwt.http.timeoutMs`, else the client's), in milliseconds. */
  readonly jwksTimeoutMs: number;
  /** Largest accepted JWKS (`jwt.http.maxResponseBytes`, else the client's), in bytes. */
  readonly jwksMaxResponseBytes: number;
  /** Age after which a fetched JWKS is refreshed in the background, in milliseconds. Default 600000. */
  readonly jwksMaxAgeMs: number;
  /** How long a failed JWKS fetch is remembered before the next attempt, in milliseconds. Default 2000. */
  readonly jwksRetryAfterFailureMs: number;
  readonly keySource: JwtKeySourceKind;
  /** The configured JWKS URL; `undefined` with `keySource: 'jwks'` means "from discovery". */
  readonly jwksUri: URL | undefined;
  /** Static public keys as a JWK Set (PEM and `KeyObject` inputs converted), for `keySource: 'static'`. */
  readonly staticKeys: JSONWebKeySet | undefined;
  /** The HMAC secret bytes, for `keySource: 'secret'`. Not enumerable, so logging the config never shows it. */
  readonly secret: Uint8Array | undefined;
  /**
   * A short SHA-256 prefix of the secret, so that guards sharing a cache store with different
   * secrets never share cache entries. Not reversible in practice for a secret of ≥ 32 bytes.
   */
  readonly secretId: string | undefined;
}

/** Guard-level settings the JWT options inherit. */
export interface JwtGuardDefaults {
  /** The guard's `issuer`: default `iss`, and the discovery source of `jwks_uri`. */
  readonly issuer?: string;
  /** Clock tolerance in seconds. */
  readonly clockToleranceSec: number;
  /** Whether `http:` URLs are allowed. */
  readonly allowInsecureHttp: boolean;
  /** The bounds of the client that fetches the JWKS (`http`). Default: the guard defaults. */
  readonly http?: CallBounds;
}

const DEFAULT_CALL_BOUNDS: CallBounds = Object.freeze({
  timeoutMs: DEFAULTS.upstreamTimeoutMs,
  maxResponseBytes: DEFAULTS.maxResponseBytes,
});

/**
 * Validates the `jwt` options and returns a frozen, normalised config.
 *
 * Rules: `issuer` is required (here or on the guard); `audience` is required unless
 * `checkAudience: false`; `algorithms` default to the public-key list, never include `none`,
 * and include HS* only together with `secret` (and then nothing else); exactly one key source
 * (`jwksUri`, `keys` or `secret`), or none when the guard has an `issuer` (the JWKS then comes
 * from discovery's `jwks_uri`). Defaults: `jwksCooldownMs` 30000, `http` the client's bounds,
 * `requireTyp` true; with a `secret`, `algorithms` default to `['HS256']`.
 *
 * @throws TokenGuardConfigError naming the option path (e.g. `jwt.algorithms`).
 */
export function normalizeJwtOptions(
  options: JwtOptions,
  guard: JwtGuardDefaults,
  path = 'jwt',
): NormalizedJwtOptions {
  const raw = checkObject(options, path);
  checkKnownKeys(raw, JWT_KEYS, path);
  const at = (key: string) => `${path}.${key}`;

  const issuer = optionalString(raw.issuer, at('issuer')) ?? guard.issuer;
  if (issuer === undefined) {
    throw new TokenGuardConfigError(at('issuer'), 'is required (or set the guard `issuer`)');
  }

  const checkAudience = optionalBoolean(raw.checkAudience, at('checkAudience'), true);
  let audience: readonly string[] | undefined;
  if (checkAudience) {
    audience = optionalStringList(
      raw.audience ?? [],
      at('audience'),
      raw.audience === undefined
        ? 'is required: a non-empty string or list of strings (or set `checkAudience: false`)'
        : 'must be a non-empty string or a list of non-empty strings',
    );
  } else if (raw.audience !== undefined) {
    throw new TokenGuardConfigError(
      at('audience'),
      'must not be set together with `checkAudience: false`',
    );
  }

  const sources = (['jwksUri', 'keys', 'secret'] as const).filter((key) => raw[key] !== undefined);
  if (sources.length > 1) {
    throw new TokenGuardConfigError(
      path,
      `must set only one key source, not ${sources.join(' and ')}`,
    );
  }
  const source = sources[0];
  if (source === undefined && guard.issuer === undefined) {
    throw new TokenGuardConfigError(
      at('jwksUri'),
      'is required (or `keys`, `secret`, or the guard `issuer` for discovery)',
    );
  }

  const algorithms = normalizeAlgorithms(raw.algorithms, at('algorithms'), source === 'secret');

  let secret: Uint8Array | undefined;
  let staticKeys: JSONWebKeySet | undefined;
  let jwksUri: URL | undefined;
  if (source === 'secret') {
    secret = normalizeSecret(raw.secret, at('secret'), algorithms);
  } else if (source === 'keys') {
    staticKeys = normalizeStaticKeys(raw.keys, at('keys'), algorithms);
  } else if (source === 'jwksUri') {
    jwksUri = checkEndpointUrl(raw.jwksUri, at('jwksUri'), guard.allowInsecureHttp);
  }

  const maxTokenAgeSec =
    raw.maxTokenAgeSec === undefined
      ? undefined
      : optionalInteger(raw.maxTokenAgeSec, at('maxTokenAgeSec'), 0, { min: 1, max: 31_536_000 });

  const requireTyp = optionalBoolean(raw.requireTyp, at('requireTyp'), true);
  const jwksBounds = normalizeCallBounds(raw.http, at('http'), guard.http ?? DEFAULT_CALL_BOUNDS);
  const config = {
    issuer,
    audience,
    algorithms,
    requireTyp,
    maxTokenAgeSec,
    requiredClaims: normalizeRequiredClaims(raw.requiredClaims, at('requiredClaims'), {
      profile: requireTyp,
      audience: audience !== undefined,
      maxTokenAge: maxTokenAgeSec !== undefined,
    }),
    clockToleranceSec: guard.clockToleranceSec,
    jwksCooldownMs: optionalInteger(
      raw.jwksCooldownMs,
      at('jwksCooldownMs'),
      DEFAULTS.jwksCooldownMs,
      {
        max: 3_600_000,
      },
    ),
    jwksTimeoutMs: jwksBounds.timeoutMs,
    jwksMaxResponseBytes: jwksBounds.maxResponseBytes,
    jwksMaxAgeMs: DEFAULTS.jwksMaxAgeMs,
    jwksRetryAfterFailureMs: DEFAULTS.retryAfterFailureMs,
    keySource:
      source === undefined || source === 'jwksUri'
        ? 'jwks'
        : source === 'keys'
          ? 'static'
          : 'secret',
    jwksUri,
    staticKeys,
    secretId: secret && createHash('sha256').update(secret).digest('hex').slice(0, 16),
  } satisfies Omit<NormalizedJwtOptions, 'secret'>;
  // A typed array cannot be frozen; the copy taken in normalizeSecret is private to this object.
  Object.defineProperty(config, 'secret', { value: secret, enumerable: false });
  return Object.freeze(config) as NormalizedJwtOptions;
}

function normalizeRequiredClaims(
  value: unknown,
  path: string,
  context: { profile: boolean; audience: boolean; maxTokenAge: boolean },
): readonly string[] {
  let list: string[];
  if (value === undefined) {
    list = context.profile
      ? RFC9068_REQUIRED_CLAIMS.filter((name) => name !== 'aud' || context.audience)
      : ['iss', 'exp', ...(context.audience ? ['aud'] : [])];
  } else if (
    Array.isArray(value) &&
    value.every((name) => typeof name === 'string' && name !== '')
  ) {
    list = [...(value as string[])];
  } else {
    throw new TokenGuardConfigError(path, 'must be a list of claim names');
  }
  // RFC 9068 §2.2: exp is never optional; a token age limit needs the issue time.
  if (!list.includes('exp')) list.push('exp');
  if (context.maxTokenAge && !list.includes('iat')) list.push('iat');
  return Object.freeze([...new Set(list)]);
}

function normalizeAlgorithms(value: unknown, path: string, hasSecret: boolean): readonly string[] {
  if (value === undefined) return hasSecret ? Object.freeze(['HS256']) : DEFAULT_JWT_ALGORITHMS;
  const algorithms = optionalStringList(
    value,
    path,
    'must be a non-empty list of JWS algorithm names',
    { single: false },
  ) as readonly string[];
  for (const alg of algorithms) {
    // RFC 8725 §3.1 / §3.2: an unsecured JWS must never be accepted.
    if (alg.toLowerCase() === 'none') {
      throw new TokenGuardConfigError(
        path,
        "must never include 'none' (unsigned tokens, RFC 8725 §3.2)",
      );
    }
    if (!(alg in HMAC_MIN_SECRET_BYTES) && !PUBLIC_KEY_ALGORITHMS.includes(alg)) {
      throw new TokenGuardConfigError(
        path,
        `contains unknown algorithm '${alg}'; expected some of ${[...PUBLIC_KEY_ALGORITHMS, ...Object.keys(HMAC_MIN_SECRET_BYTES)].join(', ')}`,
      );
    }
  }
  const hmac = algorithms.filter((alg) => alg in HMAC_MIN_SECRET_BYTES);
  // RFC 8725 §2.1 / §3.1: mixing HMAC and public-key algorithms enables key confusion (a
  // token "signed" with the public key as an HMAC secret).
  if (hmac.length > 0 && hmac.length < algorithms.length) {
    throw new TokenGuardConfigError(path, 'must not mix HMAC (HS*) with public-key algorithms');
  }
  if (hmac.length > 0 && !hasSecret) {
    throw new TokenGuardConfigError(
      path,
      'may contain HS* algorithms only with an explicit `secret`',
    );
  }
  if (hmac.length === 0 && hasSecret) {
    throw new TokenGuardConfigError(
      path.replace(/algorithms$/, 'secret'),
      'can only be used with HS256, HS384 or HS512 `algorithms`',
    );
  }
  return Object.freeze(algorithms);
}

function normalizeSecret(value: unknown, path: string, algorithms: readonly string[]): Uint8Array {
  let bytes: Uint8Array;
  if (typeof value === 'string') bytes = new TextEncoder().encode(value);
  else if (value instanceof Uint8Array) bytes = new Uint8Array(value);
  else throw new TokenGuardConfigError(path, 'must be a string or a Uint8Array');
  for (const alg of algorithms) {
    const min = HMAC_MIN_SECRET_BYTES[alg] ?? 0;
    if (bytes.length < min) {
      throw new TokenGuardConfigError(
        path,
        `must be at least ${min} bytes for ${alg} (RFC 7518 §3.2)`,
      );
    }
  }
  return bytes;
}

/** JWK members that only private or symmetric keys carry (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];

/** Turns every accepted static key form into a public JWK, validated and importable. */
function normalizeStaticKeys(
  value: unknown,
  path: string,
  algorithms: readonly string[],
): JSONWebKeySet {
  const items = Array.isArray(value) ? value : [value];
  const keys: JWK[] = [];
  items.forEach((item, index) => {
    const itemPath = Array.isArray(value) ? `${path}[${index}]` : path;
    if (isPlainObject(item) && Array.isArray(item.keys)) {
      item.keys.forEach((jwk, keyIndex) => {
        keys.push(checkPublicJwk(jwk, `${itemPath}.keys[${keyIndex}]`));
      });
    } else if (isPlainObject(item) && !(item instanceof KeyObject)) {
      keys.push(checkPublicJwk(item, itemPath));
    } else if (typeof item === 'string' || item instanceof KeyObject) {
      keys.push(publicJwkOf(item, itemPath));
    } else {
      throw new TokenGuardConfigError(
        itemPath,
        'must be a JWK, a JWK Set, a PEM public key or a list of them',
      );
    }
  });
  if (keys.length === 0)
    throw new TokenGuardConfigError(path, 'must contain at least one public key');
  if (!keys.some((jwk) => algorithms.some((alg) => keyFitsAlgorithm(jwk, alg)))) {
    throw new TokenGuardConfigError(
      path,
      `has no key usable with the allowed algorithms (${algorithms.join(', ')})`,
    );
  }
  return Object.freeze({
    keys: Object.freeze(keys.map((jwk) => Object.freeze(jwk))),
  }) as JSONWebKeySet;
}

function checkPublicJwk(value: unknown, path: string): JWK {
  if (!isPlainObject(value) || typeof value.kty !== 'string') {
    throw new TokenGuardConfigError(path, 'must be a JWK object with a `kty`');
  }
  if (value.kty === 'oct') {
    throw new TokenGuardConfigError(
      path,
      'must be a public key; use `jwt.secret` for an HMAC secret',
    );
  }
  if (PRIVATE_JWK_MEMBERS.some((member) => member in value)) {
    throw new TokenGuardConfigError(path, 'must be a public key, not a private one');
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPublicKey({ key: value as never, format: 'jwk' });
  } catch {
    throw new TokenGuardConfigError(path, 'must be a valid public JWK (RFC 7517)');
  }
  checkKeyStrength(keyObject, path);
  return { ...(value as JWK) };
}

function publicJwkOf(value: string | KeyObject, path: string): JWK {
  let keyObject: KeyObject;
  if (value instanceof KeyObject) {
    if (value.type !== 'public')
      throw new TokenGuardConfigError(path, 'must be a public KeyObject');
    keyObject = value;
  } else {
    if (value.includes('PRIVATE KEY')) {
      throw new TokenGuardConfigError(path, 'must be a public key, not a private one');
    }
    try {
      keyObject = value.includes('-----BEGIN CERTIFICATE-----')
        ? new X509Certificate(value).publicKey
        : createPublicKey({ key: value, format: 'pem' });
    } catch {
      throw new TokenGuardConfigError(path, 'must be a PEM SPKI public key or X.509 certificate');
    }
  }
  checkKeyStrength(keyObject, path);
  try {
    return keyObject.export({ format: 'jwk' }) as JWK;
  } catch {
    throw new TokenGuardConfigError(
      path,
      `has an unsupported key type (${keyObject.asymmetricKeyType})`,
    );
  }
}

/** RFC 7518 §3.3: RSA keys for RS* and PS* must be at least 2048 bits. */
function checkKeyStrength(keyObject: KeyObject, path: string): void {
  const bits = keyObject.asymmetricKeyDetails?.modulusLength;
  if (keyObject.asymmetricKeyType === 'rsa' && isShortRsaKey(bits)) {
    throw new TokenGuardConfigError(
      path,
      `must be an RSA key of at least ${MIN_RSA_BITS} bits, not ${bits} (RFC 7518 §3.3)`,
    );
  }
}

/** Whether a JWK can verify signatures of `alg` (RFC 7518 §3.1, RFC 8037 §3.1). */
function keyFitsAlgorithm(jwk: JWK, alg: string): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.kty === 'RSA') return /^(RS|PS)(256|384|512)$/.test(alg);
  if (jwk.kty === 'EC') return ECDSA_ALGORITHM_OF_CURVE[jwk.crv ?? ''] === alg;
  if (jwk.kty === 'OKP') return jwk.crv === 'Ed25519' && (alg === 'EdDSA' || alg === 'Ed25519');
  return false;
}
