/**
 * `verifyJwt`: jose's `jwtVerify` contract (same arguments, same result, same error classes),
 * with the signature checked by node:crypto's synchronous `verify` on a cached `KeyObject`
 * instead of WebCrypto. On Node 20, WebCrypto's asynchronous verify costs about five times
 * node:crypto's for the same RS256 signature; the rest (key selection, JWKS, claims rules)
 * stays jose's or mirrors it line by line.
 *
 * Every JWS rule is kept: the `alg` allow-list, the algorithm bound to the key's own imported
 * algorithm (a key imported for RS256 cannot verify ES256 or HS256: RFC 8725 §3.1), `crit`
 * understood or refused (RFC 7515 §4.1.11), unencoded payloads refused for JWTs (RFC 7797 §7),
 * RSA keys of at least 2048 bits (RFC 7518 §3.3), strict base64url without padding
 * (RFC 7515 §2, §7.1). Algorithms without a rule here are handed to jose unchanged.
 *
 * Where node:crypto cannot verify (no `verify`, or no `KeyObject.from` to convert a
 * `CryptoKey`), the same checks run and the signature goes to WebCrypto instead
 * (`crypto.subtle.verify` with the rule's parameters): the key checks, the algorithm binding
 * and the ECDSA length check come before either, so both paths accept exactly the same tokens.
 */

import {
  createHmac,
  createSecretKey,
  verify as cryptoVerify,
  KeyObject,
  constants as sslConstants,
  timingSafeEqual,
  type webcrypto,
} from 'node:crypto';
import {
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  jwtVerify,
} from 'jose';
import { deepFreeze } from '../cache/deep-freeze.js';
import type { KeyMemo } from './create-key-memo.js';
import { isBase64Url } from './is-base64url.js';

/** How each supported `alg` is checked; the key's imported algorithm must match `imported`. */
interface SignatureRule {
  readonly imported: {
    readonly name: string;
    readonly hash?: string;
    readonly namedCurve?: string;
  };
  /** node:crypto digest name (`null` for Ed25519, which hashes internally). */
  readonly digest: string | null;
  /** The WebCrypto `verify` parameters of the same check. */
  readonly webCrypto: {
    readonly name: string;
    readonly hash?: string;
    readonly saltLength?: number;
  };
  readonly secret?: true;
  readonly pssSaltLength?: number;
  /** ECDSA: the fixed length of an IEEE P1363 signature (RFC 7518 §3.4). */
  readonly ecSignatureBytes?: number;
  readonly minRsaBits?: number;
}

const hmac = (bits: number): SignatureRule => ({
  imported: { name: 'HMAC', hash: `SHA-${bits}` },
  digest: `sha${bits}`,
  webCrypto: { name: 'HMAC' },
  secret: true,
});
const rsa = (bits: number, pssSaltLength?: number): SignatureRule => ({
  imported: { name: pssSaltLength ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5', hash: `SHA-${bits}` },
  digest: `sha${bits}`,
  webCrypto: pssSaltLength
    ? { name: 'RSA-PSS', saltLength: pssSaltLength }
    : { name: 'RSASSA-PKCS1-v1_5' },
  pssSaltLength,
  minRsaBits: 2048,
});
const ecdsa = (namedCurve: string, bits: number, ecSignatureBytes: number): SignatureRule => ({
  imported: { name: 'ECDSA', namedCurve },
  digest: `sha${bits}`,
  webCrypto: { name: 'ECDSA', hash: `SHA-${bits}` },
  ecSignatureBytes,
});
const ed25519: SignatureRule = {
  imported: { name: 'Ed25519' },
  digest: null,
  webCrypto: { name: 'Ed25519' },
};

const RULES: Readonly<Record<string, SignatureRule>> = {
  HS256: hmac(256),
  HS384: hmac(384),
  HS512: hmac(512),
  RS256: rsa(256),
  RS384: rsa(384),
  RS512: rsa(512),
  PS256: rsa(256, 32),
  PS384: rsa(384, 48),
  PS512: rsa(512, 64),
  ES256: ecdsa('P-256', 256, 64),
  ES384: ecdsa('P-384', 384, 96),
  ES512: ecdsa('P-521', 512, 132),
  EdDSA: ed25519,
  Ed25519: ed25519,
};

type CryptoKey = webcrypto.CryptoKey;
/** Node ≥ 20 has the WebCrypto `CryptoKey` class as a global (its type lives in the DOM lib). */
const CryptoKeyClass = (globalThis as unknown as { CryptoKey: new () => CryptoKey }).CryptoKey;

/**
 * Whether node:crypto can check signatures here: its `verify`, and `KeyObject.from` to take
 * the `CryptoKey`s jose's key sets hand out. Else the WebCrypto path. The one decision for
 * every signature the core checks: the DPoP proof check (RFC 9449 §4.3) reads it too.
 */
export const nodeCryptoVerifies =
  typeof cryptoVerify === 'function' && typeof KeyObject?.from === 'function';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
/** Converted keys, per imported key object (jose's key sets hand out the same one each time). */
const keyObjects = new WeakMap<object, KeyObject>();

type VerificationKey = Parameters<typeof jwtVerify>[1];

/**
 * Verifies a compact JWS JWT exactly as jose's `jwtVerify(token, key, options)` would, with
 * the same error classes, so callers map failures the same way.
 */
export async function verifyJwt(
  token: string,
  key: JWTVerifyGetKey | VerificationKey,
  options: JWTVerifyOptions,
  memo?: KeyMemo,
): Promise<JWTVerifyResult> {
  const firstDot = token.indexOf('.');
  const secondDot = firstDot === -1 ? -1 : token.indexOf('.', firstDot + 1);
  if (secondDot === -1 || token.indexOf('.', secondDot + 1) !== -1) {
    throw new errors.JWSInvalid('Invalid Compact JWS');
  }
  const encodedHeader = token.slice(0, firstDot);
  const encodedPayload = token.slice(firstDot + 1, secondDot);
  const encodedSignature = token.slice(secondDot + 1);
  const header = protectedHeaderOf(encodedHeader);
  const b64 = checkCrit(header);
  const alg = header.alg;
  if (typeof alg !== 'string' || alg === '') {
    throw new errors.JWSInvalid('JWS "alg" (Algorithm) Header Parameter missing or invalid');
  }
  if (options.algorithms !== undefined && !options.algorithms.includes(alg)) {
    throw new errors.JOSEAlgNotAllowed('"alg" (Algorithm) Header Parameter value not allowed');
  }
  const rule = RULES[alg];
  // Algorithms and options outside what the guard uses keep jose's own implementation.
  if (rule === undefined || !isPlainOptions(options)) {
    return jwtVerify(token, key as JWTVerifyGetKey, options);
  }

  // A header seen before under the same key set has its key already (create-key-memo.ts).
  let checked = typeof key === 'function' ? memo?.get(header) : undefined;
  if (checked === undefined) {
    const version = memo?.version();
    const resolved =
      typeof key === 'function'
        ? await key(header as JWTVerifyResult['protectedHeader'], {
            payload: encodedPayload,
            signature: encodedSignature,
          })
        : key;
    if (!isBase64Url(encodedSignature)) {
      throw new errors.JWSInvalid('Failed to base64url decode the signature');
    }
    if (!(resolved instanceof Uint8Array || resolved instanceof CryptoKeyClass)) {
      return jwtVerify(token, resolved, options);
    }
    checkKey(resolved, rule, alg);
    checked = nodeCryptoVerifies ? toKeyObject(resolved) : resolved;
    if (memo !== undefined && version !== undefined && typeof key === 'function') {
      memo.set(header, checked, version);
    }
  } else if (!isBase64Url(encodedSignature)) {
    throw new errors.JWSInvalid('Failed to base64url decode the signature');
  }
  const signature = Buffer.from(encodedSignature, 'base64url');
  const signingInput = Buffer.from(token.slice(0, secondDot), 'latin1');
  // Synchronous on node:crypto (a memoised key keeps the whole check in this tick).
  const verified = nodeCryptoVerifies
    ? checkSignature(rule, checked as KeyObject, signingInput, signature)
    : await checkWebCryptoSignature(
        rule,
        checked as Uint8Array | CryptoKey,
        signingInput,
        signature,
      );
  if (!verified) throw new errors.JWSSignatureVerificationFailed();
  if (!b64) throw new errors.JWTInvalid('JWTs MUST NOT use unencoded payload');
  if (!isBase64Url(encodedPayload)) {
    throw new errors.JWSInvalid('Failed to base64url decode the payload');
  }
  const payload = parseJsonObject(encodedPayload, () => {
    throw new errors.JWTInvalid('JWT Claims Set must be a top-level JSON object');
  }) as JWTPayload;
  validateClaims(header, payload, options);
  return { payload, protectedHeader: header as JWTVerifyResult['protectedHeader'] };
}

/**
 * Parsed protected headers by their encoded form: one issuer's tokens share a handful, so the
 * decode and parse are done once. Frozen, since every token with that header shares the
 * object; bounded, cleared when full (a header is not a credential: no signature in it).
 */
const protectedHeaders = new Map<string, Record<string, unknown>>();
const MAX_PROTECTED_HEADERS = 256;

function protectedHeaderOf(encoded: string): Record<string, unknown> {
  let header = protectedHeaders.get(encoded);
  if (header === undefined) {
    header = deepFreeze(
      parseJsonObject(encoded, () => {
        throw new errors.JWSInvalid('JWS Protected Header is invalid');
      }),
    );
    if (protectedHeaders.size >= MAX_PROTECTED_HEADERS) protectedHeaders.clear();
    protectedHeaders.set(encoded, header);
  }
  return header;
}

function isPlainOptions(options: JWTVerifyOptions): boolean {
  return (
    options.currentDate === undefined &&
    options.subject === undefined &&
    options.crit === undefined &&
    typeof (options.clockTolerance ?? 0) === 'number' &&
    typeof (options.maxTokenAge ?? 0) === 'number'
  );
}

function parseJsonObject(segment: string, fail: () => never): Record<string, unknown> {
  if (!isBase64Url(segment)) fail();
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
  } catch {
    fail();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail();
  return parsed as Record<string, unknown>;
}

/** RFC 7515 §4.1.11: only `b64` (RFC 7797) is understood; returns whether the payload is encoded. */
function checkCrit(header: Record<string, unknown>): boolean {
  const crit = header.crit;
  if (crit === undefined) return true;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((name) => typeof name !== 'string' || name === '')
  ) {
    throw new errors.JWSInvalid(
      '"crit" (Critical) Header Parameter MUST be an array of non-empty strings when present',
    );
  }
  for (const name of crit as string[]) {
    if (name !== 'b64') {
      throw new errors.JOSENotSupported(`Extension Header Parameter "${name}" is not recognized`);
    }
    if (header[name] === undefined) {
      throw new errors.JWSInvalid(`Extension Header Parameter "${name}" is missing`);
    }
  }
  if (typeof header.b64 !== 'boolean') {
    throw new errors.JWSInvalid(
      'The "b64" (base64url-encode payload) Header Parameter must be a boolean',
    );
  }
  return header.b64;
}

/**
 * The checks jose makes on a key, before either signature path: the right type (secret or
 * public), imported for this very algorithm, usable for `verify`, RSA ≥ 2048 bits. A key
 * that fails them is a `TypeError`, as in jose.
 */
function checkKey(key: Uint8Array | CryptoKey, rule: SignatureRule, alg: string): void {
  if (key instanceof Uint8Array) {
    if (!rule.secret) throw new TypeError(`Key for the ${alg} algorithm must be a public key`);
    return;
  }
  const expectedType = rule.secret ? 'secret' : 'public';
  if (key.type !== expectedType) {
    throw new TypeError(`CryptoKey instances must be of type "${expectedType}" for ${alg}`);
  }
  if (!matchesImport(key, rule)) {
    throw new TypeError(`CryptoKey does not support this operation, its algorithm must be ${alg}`);
  }
  if (!key.usages.includes('verify')) {
    throw new TypeError(
      'CryptoKey does not support this operation, its usages must include verify',
    );
  }
  if (rule.minRsaBits !== undefined) {
    const bits = (key.algorithm as { modulusLength?: unknown }).modulusLength;
    if (typeof bits !== 'number' || bits < rule.minRsaBits) {
      throw new TypeError(`${alg} requires key modulusLength to be 2048 bits or larger`);
    }
  }
}

/** The checked key as a node:crypto `KeyObject`, converted once per key. */
function toKeyObject(key: Uint8Array | CryptoKey): KeyObject {
  let converted = keyObjects.get(key);
  if (converted === undefined) {
    converted = key instanceof Uint8Array ? createSecretKey(key) : KeyObject.from(key);
    keyObjects.set(key, converted);
  }
  return converted;
}

/** HMAC secrets imported into WebCrypto, per secret and hash (HS256 and HS384 may share one). */
const hmacKeys = new WeakMap<Uint8Array, Map<string, Promise<CryptoKey>>>();

/**
 * The same check as `checkSignature`, by WebCrypto: an ECDSA signature of the wrong length is
 * refused first (RFC 7518 §3.4: IEEE P1363, the form WebCrypto verifies), an HMAC is compared
 * inside `verify`.
 */
async function checkWebCryptoSignature(
  rule: SignatureRule,
  key: Uint8Array | CryptoKey,
  data: Buffer,
  signature: Buffer,
): Promise<boolean> {
  if (rule.ecSignatureBytes !== undefined && signature.length !== rule.ecSignatureBytes) {
    return false;
  }
  let cryptoKey: CryptoKey;
  if (key instanceof Uint8Array) {
    const hash = rule.imported.hash as string;
    let byHash = hmacKeys.get(key);
    if (byHash === undefined) {
      byHash = new Map();
      hmacKeys.set(key, byHash);
    }
    let imported = byHash.get(hash);
    if (imported === undefined) {
      imported = globalThis.crypto.subtle.importKey('raw', key, { name: 'HMAC', hash }, false, [
        'verify',
      ]);
      byHash.set(hash, imported);
    }
    cryptoKey = await imported;
  } else {
    cryptoKey = key;
  }
  return globalThis.crypto.subtle.verify(rule.webCrypto, cryptoKey, signature, data);
}

function matchesImport(key: CryptoKey, rule: SignatureRule): boolean {
  const algorithm = key.algorithm as { name: string; hash?: { name: string }; namedCurve?: string };
  return (
    algorithm.name === rule.imported.name &&
    (rule.imported.hash === undefined || algorithm.hash?.name === rule.imported.hash) &&
    (rule.imported.namedCurve === undefined || algorithm.namedCurve === rule.imported.namedCurve)
  );
}

/**
 * Checks a JWS signature (RFC 7515 §5.2) over `signingInput` with a node:crypto key already
 * checked to suit `alg`; `false` for an algorithm without a rule here. The DPoP proof check
 * uses it, so one table says how every algorithm is verified.
 */
export function verifyJwsSignature(
  alg: string,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  const rule = RULES[alg];
  return rule !== undefined && checkSignature(rule, key, signingInput, signature);
}

/**
 * `verifyJwsSignature` on the WebCrypto path, with a `CryptoKey` imported for `alg`
 * (`jwsImportAlgorithm`): the same rule, so an ECDSA signature of the wrong length is refused.
 */
export async function verifyJwsSignatureWithWebCrypto(
  alg: string,
  key: CryptoKey,
  signingInput: Buffer,
  signature: Buffer,
): Promise<boolean> {
  const rule = RULES[alg];
  return rule !== undefined && checkWebCryptoSignature(rule, key, signingInput, signature);
}

/**
 * The WebCrypto `importKey` algorithm of a public key for `alg` (hash or curve included), so
 * an imported key verifies that algorithm only; `undefined` for an algorithm without a rule.
 */
export function jwsImportAlgorithm(alg: string): SignatureRule['imported'] | undefined {
  return RULES[alg]?.imported;
}

function checkSignature(
  rule: SignatureRule,
  key: KeyObject,
  data: Buffer,
  signature: Buffer,
): boolean {
  if (rule.secret) {
    const expected = createHmac(rule.digest as string, key)
      .update(data)
      .digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  if (rule.ecSignatureBytes !== undefined) {
    if (signature.length !== rule.ecSignatureBytes) return false;
    return cryptoVerify(rule.digest, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  }
  if (rule.pssSaltLength !== undefined) {
    return cryptoVerify(
      rule.digest,
      data,
      { key, padding: sslConstants.RSA_PKCS1_PSS_PADDING, saltLength: rule.pssSaltLength },
      signature,
    );
  }
  return cryptoVerify(rule.digest, data, key, signature);
}

/** What `validateClaims` needs from the options, worked out once per options object. */
interface ClaimRules {
  /** The claims that must be present, in jose's order. */
  readonly presence: readonly string[];
  readonly issuers: readonly unknown[] | undefined;
  readonly audiences: readonly string[] | undefined;
  readonly typ: string | undefined;
  readonly tolerance: number;
  readonly maxTokenAge: number | undefined;
}

const claimRules = new WeakMap<JWTVerifyOptions, ClaimRules>();

function claimRulesOf(options: JWTVerifyOptions): ClaimRules {
  let rules = claimRules.get(options);
  if (rules === undefined) {
    const presence = [...(options.requiredClaims ?? [])];
    if (options.maxTokenAge !== undefined) presence.push('iat');
    if (options.audience !== undefined) presence.push('aud');
    if (options.issuer !== undefined) presence.push('iss');
    const { issuer, audience, typ, maxTokenAge } = options;
    rules = {
      presence: [...new Set(presence.reverse())],
      issuers: issuer === undefined ? undefined : Array.isArray(issuer) ? issuer : [issuer],
      audiences:
        audience === undefined ? undefined : typeof audience === 'string' ? [audience] : audience,
      typ,
      tolerance: typeof options.clockTolerance === 'number' ? options.clockTolerance : 0,
      maxTokenAge: maxTokenAge as number | undefined,
    };
    claimRules.set(options, rules);
  }
  return rules;
}

/**
 * jose's JWT claims-set rules (RFC 7519 §4.1) for the options the verifier uses. Nothing is
 * allocated unless a rule fails: the rules are worked out once per options object.
 */
function validateClaims(
  header: Record<string, unknown>,
  claims: JWTPayload,
  options: JWTVerifyOptions,
): void {
  const { presence, issuers, audiences, typ, tolerance, maxTokenAge } = claimRulesOf(options);
  const headerTyp = header.typ;
  if (
    typ !== undefined &&
    headerTyp !== typ &&
    (typeof headerTyp !== 'string' || normalizeTyp(headerTyp) !== normalizeTyp(typ))
  ) {
    failClaim(claims, 'unexpected "typ" JWT header value', 'typ', 'check_failed');
  }
  for (let i = 0; i < presence.length; i++) {
    const claim = presence[i] as string;
    if (!Object.hasOwn(claims, claim)) {
      failClaim(claims, `missing required "${claim}" claim`, claim, 'missing');
    }
  }
  if (issuers !== undefined && !issuers.includes(claims.iss)) {
    failClaim(claims, 'unexpected "iss" claim value', 'iss', 'check_failed');
  }
  if (audiences !== undefined && !audienceAccepted(claims.aud, audiences)) {
    failClaim(claims, 'unexpected "aud" claim value', 'aud', 'check_failed');
  }
  const now = Math.floor(Date.now() / 1000);
  const iat = numericClaim(claims, 'iat', maxTokenAge !== undefined);
  const nbf = numericClaim(claims, 'nbf', false);
  if (nbf !== undefined && nbf > now + tolerance) {
    failClaim(claims, '"nbf" claim timestamp check failed', 'nbf', 'check_failed');
  }
  const exp = numericClaim(claims, 'exp', false);
  if (exp !== undefined && exp <= now - tolerance) {
    throw new errors.JWTExpired(
      '"exp" claim timestamp check failed',
      claims,
      'exp',
      'check_failed',
    );
  }
  if (typeof maxTokenAge === 'number') {
    const age = now - (iat as number);
    if (age - tolerance > maxTokenAge) {
      throw new errors.JWTExpired(
        '"iat" claim timestamp check failed (too far in the past)',
        claims,
        'iat',
        'check_failed',
      );
    }
    if (age < -tolerance) {
      failClaim(
        claims,
        '"iat" claim timestamp check failed (it should be in the past)',
        'iat',
        'check_failed',
      );
    }
  }
}

function failClaim(claims: JWTPayload, message: string, claim: string, reason: string): never {
  throw new errors.JWTClaimValidationFailed(message, claims, claim, reason);
}

/** RFC 7519 §4.1.3: one of the accepted audiences, as the string or in the list. */
function audienceAccepted(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud);
  if (!Array.isArray(aud)) return false;
  for (let i = 0; i < accepted.length; i++) if (aud.includes(accepted[i])) return true;
  return false;
}

/** A NumericDate claim (RFC 7519 §2): a number when present (or required). */
function numericClaim(
  claims: JWTPayload,
  claim: 'iat' | 'nbf' | 'exp',
  required: boolean,
): number | undefined {
  const value = claims[claim];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'number') {
    failClaim(claims, `"${claim}" claim must be a number`, claim, 'invalid');
  }
  return value as number;
}

/**
 * The first epoch millisecond at which `verifyJwt` refuses a token issued at `iat` as too old
 * (`maxTokenAge`, `clockTolerance` in seconds). The check above is jose's: whole seconds,
 * refused once `now - iat - clockTolerance > maxTokenAge`, so from second
 * `iat + maxTokenAge + clockTolerance + 1` on. A cached verdict ends here, neither earlier (a
 * token inside the tolerance would be refused on its second use) nor later.
 *
 * @example
 * maxTokenAgeDeadlineMs(1_700_000_000, 300, 5); // 1_700_000_306_000
 */
export function maxTokenAgeDeadlineMs(
  iat: number,
  maxTokenAgeSec: number,
  clockToleranceSec: number,
): number {
  return (iat + maxTokenAgeSec + clockToleranceSec + 1) * 1000;
}

/** RFC 7515 §4.1.9: `typ` compares case-insensitively, `application/` may be omitted. */
function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return value.includes('/') ? lower : `application/${lower}`;
}
