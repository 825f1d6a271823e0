/**
 * Local verification of JWT access tokens (RFC 9068): jose's key sets and rules, signatures
 * checked by node:crypto (verify-jwt.ts). This module decides which keys may be used, which
 * headers are refused before any key lookup, and how each failure maps onto the error table: a token
 * problem is a 401 `invalid_token`, a key-set outage a 503, never the other way round.
 */
import {
  errors,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
} from 'jose';
import {
  InvalidTokenError,
  type RefusalReason,
  TokenGuardConfigError,
  TokenGuardError,
} from '../errors.js';
import type { KeySetState } from '../health/check-guard-health.js';
import type { HttpClient } from '../internal/http-client.js';
import type { TokenClaims } from '../types.js';
import { checkRequiredClaims } from './check-required-claims.js';
import { createKeyMemo } from './create-key-memo.js';
import { createRemoteKeySet, type RemoteKeySet } from './create-remote-key-set.js';
import { createStaticKeySet } from './create-static-key-set.js';
import { mapJwtClaims } from './map-jwt-claims.js';
import type { NormalizedJwtOptions } from './normalize-jwt-options.js';
import { verifyJwt } from './verify-jwt.js';

export interface JwtVerifier {
  /**
   * Verifies a compact JWS access token and returns its claims in the introspection shape.
   * @throws InvalidTokenError (401) for any problem with the token (its `message` names the
   *   check that failed, never the token); UpstreamUnavailableError (503) when the JWKS cannot
   *   be fetched; TokenGuardConfigError when discovery contradicts the configuration.
   */
  verify(token: string): Promise<TokenClaims>;
  /** Whether the keys are loaded, without fetching (`static` for configured keys or a secret). */
  keysState(): KeySetState | 'static';
  /** Loads a remote key set unless loaded (readiness probe); rejects with the outage. */
  loadKeys(): Promise<void>;
}

export interface JwtVerifierDependencies {
  /** The guard's HTTP client, used for JWKS fetches. */
  readonly http: HttpClient;
  /** The JWKS URL: the configured one, or discovery's `jwks_uri`; resolved on first fetch. */
  readonly jwksUri: () => Promise<URL>;
  /** Called once per JWKS fetch. */
  readonly onJwksFetch?: () => void;
}

/**
 * JOSE header parameters that locate or carry a key (RFC 7515 §4.1.2, §4.1.3, §4.1.5,
 * §4.1.6). A key named by the token itself proves nothing (RFC 8725 §3.10); jose's key-set
 * resolvers never use them, and tokens carrying them are refused outright: no RFC 9068 issuer
 * needs them, and accepting them invites a verifier elsewhere in the chain to trust them.
 */
const KEY_SUPPLYING_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;

/** RFC 9068 §4: the `typ` an access token must carry; jose compares it per RFC 7515 §4.1.9. */
const ACCESS_TOKEN_TYP = 'at+jwt';

/** Most candidate keys tried for a token without `kid` that several keys could verify. */
const MAX_CANDIDATE_KEYS = 8;

/**
 * Creates the local JWT verifier for a normalised configuration.
 *
 * @example
 * const verifier = createJwtVerifier(normalizeJwtOptions(options.jwt, guardDefaults), {
 *   http,
 *   jwksUri: async () => new URL('https://id.example/jwks'),
 * });
 * const claims = await verifier.verify(token);
 */
export function createJwtVerifier(
  config: NormalizedJwtOptions,
  deps: JwtVerifierDependencies,
): JwtVerifier {
  const keys = keyResolverFor(config, deps);
  const resolveKey = refuseKeySupplyingHeaders(keys);
  // Configured keys and secrets never change; a remote set says when it was refreshed.
  const memo = createKeyMemo('version' in keys ? (keys as RemoteKeySet).version : () => 0);
  const options: JWTVerifyOptions = {
    algorithms: [...config.algorithms],
    issuer: config.issuer,
    audience: config.audience === undefined ? undefined : [...config.audience],
    clockTolerance: config.clockToleranceSec,
    maxTokenAge: config.maxTokenAgeSec,
    typ: config.requireTyp ? ACCESS_TOKEN_TYP : undefined,
    // RFC 9068 §2.2: exp is always required; the rest of `requiredClaims` (with its types) is
    // checked by checkRequiredClaims after jose, so each failure has its own reason.
    requiredClaims: ['exp'],
  };

  return {
    keysState: () => ('state' in keys ? (keys as RemoteKeySet).state() : 'static'),
    loadKeys: async () => {
      if ('load' in keys) await (keys as RemoteKeySet).load();
    },
    async verify(token: string): Promise<TokenClaims> {
      let result: JWTVerifyResult;
      try {
        result = await verifyJwt(token, resolveKey, options, memo);
      } catch (error) {
        if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw toVerifierError(error);
        result = await verifyWithCandidates(token, error, options);
      }
      checkIssuedAt(result.payload, config.clockToleranceSec);
      checkRequiredClaims(result.payload, config.requiredClaims);
      return mapJwtClaims(result.payload);
    },
  };
}

function keyResolverFor(
  config: NormalizedJwtOptions,
  deps: JwtVerifierDependencies,
): JWTVerifyGetKey {
  switch (config.keySource) {
    case 'secret': {
      const secret = config.secret as Uint8Array;
      return async () => secret;
    }
    case 'static':
      return createStaticKeySet(
        config.staticKeys as NonNullable<NormalizedJwtOptions['staticKeys']>,
      );
    case 'jwks':
      return createRemoteKeySet({
        jwksUri: config.jwksUri === undefined ? deps.jwksUri : async () => config.jwksUri as URL,
        http: deps.http,
        cooldownMs: config.jwksCooldownMs,
        timeoutMs: config.jwksTimeoutMs,
        maxResponseBytes: config.jwksMaxResponseBytes,
        maxAgeMs: config.jwksMaxAgeMs,
        retryAfterFailureMs: config.jwksRetryAfterFailureMs,
        onFetch: deps.onJwksFetch,
      });
  }
}

/**
 * Refuses key-supplying headers before any key lookup, so such a token can neither choose
 * its key nor trigger a JWKS refetch.
 */
function refuseKeySupplyingHeaders(resolve: JWTVerifyGetKey): JWTVerifyGetKey {
  return (protectedHeader, token) => {
    for (const name of KEY_SUPPLYING_HEADERS) {
      if (Object.hasOwn(protectedHeader, name)) {
        throw new InvalidTokenError({
          message: `jwt: '${name}' header refused`,
          reason: 'header_refused',
        });
      }
    }
    return resolve(protectedHeader, token);
  };
}

/**
 * A token without `kid` that several keys of the set could verify (e.g. old and new key
 * during a rotation): jose hands the candidates over; try each, a bounded number of times.
 */
async function verifyWithCandidates(
  token: string,
  candidates: errors.JWKSMultipleMatchingKeys,
  options: JWTVerifyOptions,
): Promise<JWTVerifyResult> {
  let tried = 0;
  for await (const key of candidates) {
    if (++tried > MAX_CANDIDATE_KEYS) break;
    try {
      return await verifyJwt(token, key, options);
    } catch (error) {
      if (!(error instanceof errors.JWSSignatureVerificationFailed)) throw toVerifierError(error);
    }
  }
  throw new InvalidTokenError({ message: 'jwt: signature invalid', reason: 'signature_invalid' });
}

/**
 * RFC 9068 §4 / the rule: an `iat` in the future beyond the tolerance is refused.
 * jose checks it only together with `maxTokenAge`, so it is checked here for every token.
 */
function checkIssuedAt(payload: JWTPayload, clockToleranceSec: number): void {
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.iat === 'number' && payload.iat > now + clockToleranceSec) {
    throw new InvalidTokenError({
      message: 'jwt: iat in the future',
      reason: 'token_issued_in_future',
    });
  }
}

/**
 * Maps a failure onto the error table. jose's errors are deliberately not kept as `cause`:
 * claim errors carry the whole payload, which must not reach logs.
 */
function toVerifierError(error: unknown): unknown {
  if (error instanceof TokenGuardError || error instanceof TokenGuardConfigError) return error;
  if (error instanceof errors.JOSEError) {
    const [reason, detail] = describe(error);
    return new InvalidTokenError({ message: `jwt: ${detail}`, reason });
  }
  // WebCrypto refusing a key for this token (e.g. an RSA key under 2048 bits in the remote
  // set, or a malformed JWK): the token cannot be verified with what the issuer publishes.
  if (error instanceof TypeError || (error instanceof Error && error.name === 'DataError')) {
    return new InvalidTokenError({
      message: 'jwt: no usable key for this token',
      reason: 'key_unusable',
      cause: error,
    });
  }
  return error;
}

/** The refusal reason and log detail for a jose error. */
function describe(error: InstanceType<typeof errors.JOSEError>): [RefusalReason, string] {
  if (error instanceof errors.JWTExpired) {
    return error.claim === 'iat'
      ? ['token_too_old', 'iat older than maxTokenAgeSec']
      : ['token_expired', 'expired'];
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return ['claim_missing', `${error.claim} missing`];
    if (error.reason === 'invalid') return ['claim_invalid', `${error.claim} invalid`];
    if (error.claim === 'nbf') return ['token_not_yet_valid', 'not yet valid (nbf)'];
    if (error.claim === 'iat') return ['token_issued_in_future', 'iat in the future'];
    if (error.claim === 'iss') return ['issuer_mismatch', 'iss mismatch'];
    if (error.claim === 'aud') return ['audience_mismatch', 'aud mismatch'];
    if (error.claim === 'typ') return ['typ_invalid', 'typ mismatch'];
    return ['claim_invalid', `${error.claim} mismatch`];
  }
  if (error instanceof errors.JOSEAlgNotAllowed)
    return ['algorithm_not_allowed', 'alg not allowed'];
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return ['signature_invalid', 'signature invalid'];
  if (error instanceof errors.JWKSNoMatchingKey)
    return ['unknown_key', 'no key matches kid and alg'];
  if (error instanceof errors.JOSENotSupported)
    return ['header_refused', 'unsupported alg, key or crit header'];
  return ['token_malformed', 'malformed'];
}
