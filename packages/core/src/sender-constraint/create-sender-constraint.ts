/**
 * The per-request half of sender-constrained tokens. Validation (cached) says what the
 * token is bound to (`cnf`, RFC 7800); this says whether the request proves possession
 * of it, every time, never cached: a DPoP proof (RFC 9449 §7) or the TLS client
 * certificate (RFC 8705 §3). A bound token presented as a plain bearer token is refused
 * whatever the mode (RFC 9449 §7.2: no downgrade).
 */
import { hash } from 'node:crypto';
import { InvalidDpopProofError, InvalidTokenError, UseDpopNonceError } from '../errors.js';
import type { CertificateSource, DpopMode } from '../options/types.js';
import { isDpopTokenType } from '../token/is-sender-constrained.js';
import type { RequestLike, TokenClaims } from '../types.js';
import { certificateThumbprint } from './certificate-thumbprint.js';
import type { DpopNonces } from './create-dpop-nonces.js';
import type { ReplayCache } from './create-replay-cache.js';
import { readClientCertificate } from './read-client-certificate.js';
import { requestHtus } from './request-htu.js';
import { checkDpopProof, type VerifiedDpopProof } from './verify-dpop-proof.js';

/** How a token was bound to its presenter, once checked (`auth.binding`). */
export type TokenBinding = 'dpop' | 'mtls';

export interface SenderConstraintSettings {
  readonly dpop: {
    readonly mode: DpopMode;
    readonly algorithms: readonly string[];
    readonly maxProofAgeSec: number;
    readonly clockToleranceSec: number;
    readonly origins?: readonly string[];
    readonly nonces?: DpopNonces;
    readonly replay: ReplayCache;
  };
  readonly mtls?: { readonly certificateFrom: CertificateSource };
  /** Separates this guard's replay keys from other guards' in a shared store. */
  readonly namespace: string;
}

export interface SenderConstraint {
  /**
   * Checks the request against the token's binding. Resolves to how the token is bound
   * (`undefined` for a plain bearer token); throws a `TokenGuardError` when the request
   * does not prove possession.
   */
  check(
    request: RequestLike,
    scheme: 'Bearer' | 'DPoP',
    token: string,
    claims: TokenClaims,
  ): TokenBinding | undefined | Promise<TokenBinding | undefined>;
}

const KNOWN_CONFIRMATIONS = new Set(['jkt', 'x5t#S256']);

export function createSenderConstraint(settings: SenderConstraintSettings): SenderConstraint {
  const { dpop, mtls } = settings;
  // A proof is accepted for maxProofAgeSec after its iat, plus the skew both ways: its
  // jti must be remembered at least that long (RFC 9449 §11.1).
  const replayTtlMs = (dpop.maxProofAgeSec + 2 * dpop.clockToleranceSec + 1) * 1000;

  function certificateMatches(request: RequestLike, x5t: unknown): TokenBinding {
    if (mtls === undefined || typeof x5t !== 'string') {
      throw new InvalidTokenError({
        message: 'certificate-bound token, mTLS not configured',
        reason: 'sender_constrained',
      });
    }
    const der = readClientCertificate(request, mtls.certificateFrom);
    if (der === undefined) {
      throw new InvalidTokenError({
        message: 'certificate-bound token without a client certificate',
        reason: 'certificate_mismatch',
      });
    }
    if (certificateThumbprint(der) !== x5t) {
      throw new InvalidTokenError({
        message: 'client certificate does not match the token',
        reason: 'certificate_mismatch',
      });
    }
    return 'mtls';
  }

  /**
   * Synchronous unless the signature goes to WebCrypto (where node:crypto cannot verify) or
   * the replay check waits on the shared store: a proof verified in process by node:crypto
   * answers in the same tick, like a cached bearer token.
   */
  function proofMatches(
    request: RequestLike,
    token: string,
    jkt: string,
  ): TokenBinding | Promise<TokenBinding> {
    const header = singleDpopHeader(request);
    const nowSec = Math.floor(Date.now() / 1000);
    // RFC 9449 §7.1: the proof's key is the one the token is bound to (`jkt`), compared
    // before the signature is checked.
    const proof = checkDpopProof(header, {
      method: request.method,
      htus: requestHtus(request, dpop.origins),
      accessToken: token,
      algorithms: dpop.algorithms,
      maxAgeSec: dpop.maxProofAgeSec,
      clockToleranceSec: dpop.clockToleranceSec,
      nowSec,
      jkt,
    });
    return proof instanceof Promise
      ? proof.then((checked) => proofAccepted(checked, jkt, nowSec))
      : proofAccepted(proof, jkt, nowSec);
  }

  /** What a verified proof must still pass: the server's nonce (§9), then a fresh jti (§11.1). */
  function proofAccepted(
    proof: VerifiedDpopProof,
    jkt: string,
    nowSec: number,
  ): TokenBinding | Promise<TokenBinding> {
    // §9: a nonce we did not issue, or a stale one, gets a fresh one to retry with.
    if (dpop.nonces !== undefined) {
      if (proof.nonce === undefined || !dpop.nonces.accepts(proof.nonce, nowSec)) {
        throw new UseDpopNonceError(dpop.nonces.current(nowSec), {
          message: 'the DPoP proof has no current nonce',
        });
      }
    }
    // §11.1: last, so that only proofs that passed every other check use up a jti.
    const key = hash('sha256', `${settings.namespace}\0dpop-jti\0${jkt}\0${proof.jti}`, 'hex');
    const first = dpop.replay.firstUse(key, replayTtlMs);
    return first instanceof Promise ? first.then(boundOrReplayed) : boundOrReplayed(first);
  }

  function check(
    request: RequestLike,
    scheme: 'Bearer' | 'DPoP',
    token: string,
    claims: TokenClaims,
  ): TokenBinding | undefined | Promise<TokenBinding | undefined> {
    const cnf = claims.cnf;
    const dpopTyped = isDpopTokenType(claims.token_type);
    if (cnf === undefined) {
      if (scheme === 'DPoP' || dpopTyped) {
        // RFC 9449 §7.1: the DPoP scheme is for DPoP-bound tokens only.
        throw new InvalidTokenError({
          message: 'token presented as DPoP is not DPoP-bound',
          reason: 'dpop_not_bound',
        });
      }
      if (dpop.mode === 'required') {
        throw new InvalidTokenError({
          message: 'a DPoP-bound token is required',
          reason: 'dpop_required',
        });
      }
      return undefined;
    }
    if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) {
      throw new InvalidTokenError({
        message: 'token has a malformed cnf claim',
        reason: 'claim_invalid',
      });
    }
    const confirmation = cnf as Record<string, unknown>;
    // A confirmation method we cannot check (RFC 7800 `jwk`, `jku`, …) is refused: the
    // token is bound to something this request cannot be shown to hold.
    if (!onlyKnownConfirmations(confirmation)) {
      throw new InvalidTokenError({
        message: 'token bound by an unsupported cnf method',
        reason: 'claim_invalid',
      });
    }
    const jkt = confirmation.jkt;
    const x5t = confirmation['x5t#S256'];
    if (jkt !== undefined || dpopTyped) {
      if (scheme !== 'DPoP') {
        throw new InvalidTokenError({
          message: 'DPoP-bound token presented as a bearer token',
          reason: 'sender_constrained',
        });
      }
      if (typeof jkt !== 'string') {
        throw new InvalidTokenError({
          message: 'DPoP token without a cnf.jkt',
          reason: 'claim_missing',
        });
      }
      if (x5t === undefined) return proofMatches(request, token, jkt);
      certificateMatches(request, x5t);
      return proofMatches(request, token, jkt);
    }
    if (scheme === 'DPoP') {
      throw new InvalidTokenError({
        message: 'token presented as DPoP is not DPoP-bound',
        reason: 'dpop_not_bound',
      });
    }
    if (dpop.mode === 'required') {
      throw new InvalidTokenError({
        message: 'a DPoP-bound token is required',
        reason: 'dpop_required',
      });
    }
    return certificateMatches(request, x5t);
  }

  // The guard's refusal step gives every refusal made here the guard's realm (RFC 6750 §3).
  return { check };
}

/** At least one confirmation member, and every one of them a method checked here. */
function onlyKnownConfirmations(confirmation: Record<string, unknown>): boolean {
  let count = 0;
  for (const member in confirmation) {
    if (!Object.hasOwn(confirmation, member)) continue;
    if (!KNOWN_CONFIRMATIONS.has(member)) return false;
    count++;
  }
  return count > 0;
}

function boundOrReplayed(firstUse: boolean): TokenBinding {
  if (!firstUse) {
    throw new InvalidDpopProofError({
      message: 'the DPoP proof was already used',
      reason: 'dpop_proof_replayed',
    });
  }
  return 'dpop';
}

/** RFC 9449 §4.3 checks 1–2: exactly one DPoP header, holding one JWT. */
function singleDpopHeader(request: RequestLike): string {
  const raw = request.rawHeaders;
  if (raw !== undefined) {
    let count = 0;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]?.toLowerCase() === 'dpop') count++;
    }
    if (count > 1) throw new InvalidDpopProofError({ message: 'more than one DPoP header' });
  }
  const value = request.headers.dpop;
  if (value === undefined) throw new InvalidDpopProofError({ message: 'no DPoP proof' });
  if (typeof value !== 'string') {
    throw new InvalidDpopProofError({ message: 'more than one DPoP header' });
  }
  // A compact JWS has no commas or spaces: one means joined field lines (RFC 9110 §5.3).
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value) || value.length > 8192) {
    throw new InvalidDpopProofError({ message: 'the DPoP header is not one compact JWS' });
  }
  return value;
}
