import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { base64url, type CompactJWSHeaderParameters, CompactSign } from 'jose';
import { nowSec } from './internal/http.js';
import type { ServerState } from './internal/state.js';
import { DEFAULT_TTL_SEC, userAuthenticationClaims } from './internal/token-store.js';
import type { KeyRing } from './keys.js';
import type { BadJwtKind, JwtAlgorithm, MintJwtClaims, MintJwtOptions } from './types.js';

/** The `crit` member bad `crit-header` tokens carry, which no verifier understands. */
export const UNKNOWN_CRIT_PARAMETER = 'urn:tokenguard:testing:unknown';

/** Issuer of `wrong-iss` tokens. */
export const WRONG_ISSUER = 'https://wrong-issuer.invalid';

/** Audience of `wrong-aud` tokens. */
export const WRONG_AUDIENCE = 'wrong-audience';

/** State minting needs beyond the shared server state: the attacker's keys, made on demand. */
export interface MintState extends Pick<ServerState, 'issuer' | 'keys' | 'store' | 'url'> {
  attackerKeys(): Promise<KeyRing>;
}

/** Sign any protected header and payload with jose, accepting whatever `crit` lists. */
export async function signJws(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject | Uint8Array,
): Promise<string> {
  const critNames = Array.isArray(header.crit) ? (header.crit as string[]) : [];
  const crit = Object.fromEntries(critNames.map((name) => [name, true]));
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header as CompactJWSHeaderParameters)
    .sign(key, critNames.length > 0 ? { crit } : undefined);
}

/** The RFC 9068 §2.2 payload for `claims`: iss, sub, aud, client_id, iat, exp, jti and more. */
export function buildJwtPayload(
  issuer: string,
  claims: MintJwtClaims = {},
  expiresInSec?: number,
): Record<string, unknown> {
  const now = nowSec();
  const {
    sub,
    client_id,
    scope,
    exp,
    expiresInSec: claimTtl,
    nbf,
    brand,
    token_type,
    extra,
    aud,
    iss,
    acr,
    amr,
    auth_time,
    authenticatedSecAgo,
    ...rest
  } = claims;
  const payload: Record<string, unknown> = {
    iss: iss ?? issuer,
    sub: sub ?? 'user-1',
    aud: aud ?? 'api',
    client_id: client_id ?? 'client-1',
    iat: now,
    exp: exp ?? now + (expiresInSec ?? claimTtl ?? DEFAULT_TTL_SEC),
    jti: randomUUID(),
  };
  if (scope !== undefined) payload.scope = scope;
  if (nbf !== undefined) payload.nbf = nbf;
  if (brand !== undefined) payload.brand = brand;
  if (token_type !== undefined) payload.token_type = token_type;
  Object.assign(payload, userAuthenticationClaims({ acr, amr, auth_time, authenticatedSecAgo }));
  return { ...payload, ...rest, ...extra };
}

/** Mint a valid RFC 9068 JWT access token and remember it for introspection. */
export async function mintJwt(
  state: MintState,
  claims: MintJwtClaims = {},
  options: MintJwtOptions = {},
): Promise<string> {
  const alg = options.alg ?? 'RS256';
  const key = state.keys.current(alg);
  const payload = buildJwtPayload(state.issuer, claims, options.expiresInSec);
  const header = { typ: 'at+jwt', kid: key.kid, ...options.header, alg };
  const token = await signJws(header, payload, key.privateKey);
  const exp = typeof payload.exp === 'number' ? payload.exp : Number.POSITIVE_INFINITY;
  const nbf = typeof payload.nbf === 'number' ? payload.nbf : undefined;
  const introspected = { token_type: 'Bearer', ...payload };
  state.store.add(
    token,
    nbf === undefined ? { claims: introspected, exp } : { claims: introspected, exp, nbf },
  );
  return token;
}

function encodeSegment(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

/**
 * Mint a JWT that is wrong in exactly the way `kind` names and right in every other way, so
 * a verifier that accepts it has the named hole. Bad tokens are not known to introspection.
 */
export async function mintBadJwt(
  state: MintState,
  kind: BadJwtKind,
  claims: MintJwtClaims = {},
): Promise<string> {
  const alg: JwtAlgorithm = state.keys.algorithms.includes('RS256')
    ? 'RS256'
    : state.keys.algorithms[0]!;
  const key = state.keys.current(alg);
  const payload = buildJwtPayload(state.issuer, claims);
  const header: Record<string, unknown> = { alg, typ: 'at+jwt', kid: key.kid };
  const now = nowSec();
  const attacker = async () => (await state.attackerKeys()).current(alg);
  switch (kind) {
    case 'wrong-key': {
      // The server's kid, so a verifier finds a key and must fail on the signature itself.
      return signJws(header, payload, (await attacker()).privateKey);
    }
    case 'alg-none':
      // RFC 7515 Appendix A.5: an Unsecured JWS has an empty signature.
      return `${encodeSegment({ alg: 'none', typ: 'at+jwt' })}.${encodeSegment(payload)}.`;
    case 'hs256-with-public-key': {
      // The classic key-confusion attack: HMAC keyed with the public key's PEM text.
      const pem = key.publicKey.export({ type: 'spki', format: 'pem' }) as string;
      return signJws({ ...header, alg: 'HS256' }, payload, new TextEncoder().encode(pem));
    }
    case 'expired':
      return signJws(header, { ...payload, iat: now - 7200, exp: now - 3600 }, key.privateKey);
    case 'future-nbf':
      return signJws(header, { ...payload, nbf: now + 3600 }, key.privateKey);
    case 'future-iat':
      return signJws(header, { ...payload, iat: now + 3600 }, key.privateKey);
    case 'wrong-iss':
      return signJws(header, { ...payload, iss: WRONG_ISSUER }, key.privateKey);
    case 'wrong-aud':
      return signJws(header, { ...payload, aud: WRONG_AUDIENCE }, key.privateKey);
    case 'wrong-typ':
      return signJws({ ...header, typ: 'JWT' }, payload, key.privateKey);
    case 'missing-typ': {
      const { typ: _typ, ...noTyp } = header;
      return signJws(noTyp, payload, key.privateKey);
    }
    case 'unknown-kid': {
      const other = await attacker();
      return signJws({ ...header, kid: other.kid }, payload, other.privateKey);
    }
    case 'jku-header': {
      const other = await attacker();
      const jku = `${state.url}/attacker/jwks.json`;
      return signJws({ ...header, kid: other.kid, jku }, payload, other.privateKey);
    }
    case 'embedded-jwk': {
      const other = await attacker();
      const { kid: _kid, ...jwk } = other.publicJwk;
      return signJws({ ...header, kid: other.kid, jwk }, payload, other.privateKey);
    }
    case 'x5u-header': {
      const other = await attacker();
      const x5u = `${state.url}/attacker/cert.pem`;
      return signJws({ ...header, kid: other.kid, x5u }, payload, other.privateKey);
    }
    case 'crit-header':
      return signJws(
        { ...header, crit: [UNKNOWN_CRIT_PARAMETER], [UNKNOWN_CRIT_PARAMETER]: true },
        payload,
        key.privateKey,
      );
    case 'tampered-payload': {
      const [head, , signature] = (await signJws(header, payload, key.privateKey)).split('.');
      const forged = { ...payload, sub: 'admin', scope: 'admin' };
      return `${head}.${encodeSegment(forged)}.${signature}`;
    }
    case 'missing-exp': {
      const { exp: _exp, ...noExp } = payload;
      return signJws(header, noExp, key.privateKey);
    }
    default:
      throw new TypeError(`mintBadJwt: unknown kind ${JSON.stringify(kind)}`);
  }
}
