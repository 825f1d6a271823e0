// @ts-check
/**
 * The comparison points a user could write by hand, without a library, framework-neutral:
 * each is a `check(authorization)` that returns the claims (or a promise of them) or throws a
 * `Refusal`; the servers wrap it in their framework's middleware.
 *
 * - `introspection`: undici `request()` on a keep-alive pool plus an lru-cache keyed by the
 *   raw token. It does what such code usually does: a case-insensitive Bearer match, RFC 7662
 *   POST with the service's bearer credential, `active === true` and `exp` checked, active
 *   results cached until `exp` (at most 5 minutes). Like most hand-written code it has no
 *   single-flight: concurrent misses on one token each call the identity service.
 * - `jwt`: the floor of local validation. node:crypto's synchronous `verify` on a `KeyObject`
 *   made once from the issuer's RS256 public key, then `iss`, `aud` and `exp`. Nothing else:
 *   no JWKS, no `kid`, no `typ`, no key rules, no claim types — the work no JWT check can skip.
 *   With `cache`, verified claims are kept in an lru-cache keyed by the raw token until `exp`
 *   (the floor of a cached JWT verdict).
 * - `dpopProof` (bench/dpop.js): the floor of a DPoP proof check (RFC 9449 §4.3) a user could
 *   write: node:crypto `verify` with the proof's key imported once per distinct header, then
 *   `htm`, `htu`, `iat` and the `jti` in a set. No thumbprint, `ath`, `typ` or key rules.
 */
import { createPublicKey, verify } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { Agent, request } from 'undici';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/** An answer other than "go on": status, headers, JSON body. */
export class Refusal {
  /**
   * @param {number} status
   * @param {Record<string, string>} headers
   * @param {{ error: string, error_description: string }} body
   */
  constructor(status, headers, body) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

const noToken = new Refusal(
  401,
  { 'www-authenticate': 'Bearer realm="api"' },
  { error: 'invalid_request', error_description: 'No bearer token' },
);
const invalid = new Refusal(
  401,
  { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' },
  { error: 'invalid_token', error_description: 'The access token is not valid' },
);
const unavailable = new Refusal(
  503,
  { 'retry-after': '1' },
  { error: 'temporarily_unavailable', error_description: 'Try again later' },
);

/** @typedef {Record<string, unknown>} Claims */
/** @typedef {(authorization: string | undefined) => Claims | Promise<Claims>} Check */

/**
 * The check a server's BENCH_CONFIG asks for (`kind`: `introspection` or `jwt`).
 * @param {Record<string, any>} config
 * @returns {Check}
 */
export function handwrittenCheck(config) {
  return config.kind === 'jwt' ? jwtCheck(config) : introspectionCheck(config);
}

/** @param {string | undefined} authorization */
function bearerToken(authorization) {
  const m = BEARER.exec(authorization ?? '');
  if (!m) throw noToken;
  return /** @type {string} */ (m[1]);
}

/**
 * @param {{ endpoint: string, callerToken: string, cache: boolean }} options
 * @returns {Check}
 */
function introspectionCheck({ endpoint, callerToken, cache }) {
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  /** @type {LRUCache<string, Claims> | undefined} */
  const lru = cache ? new LRUCache({ max: 10_000, ttl: 300_000 }) : undefined;
  const authorization = `Bearer ${callerToken}`;

  /** @param {string} token */
  async function introspect(token) {
    let claims;
    try {
      const { statusCode, body } = await request(endpoint, {
        method: 'POST',
        dispatcher,
        headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(token)}&token_type_hint=access_token`,
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      if (statusCode !== 200) {
        await body.dump();
        throw new Error(`introspection answered ${statusCode}`);
      }
      claims = /** @type {Claims} */ (await body.json());
    } catch {
      throw unavailable;
    }
    const now = Date.now() / 1000;
    const exp = claims.exp;
    if (claims.active !== true || (typeof exp === 'number' && exp <= now)) throw invalid;
    if (lru) {
      const ttl = typeof exp === 'number' ? Math.min((exp - now) * 1000, 300_000) : 300_000;
      lru.set(token, claims, { ttl });
    }
    return claims;
  }

  return (header) => {
    const token = bearerToken(header);
    const hit = lru?.get(token);
    if (hit && (typeof hit.exp !== 'number' || hit.exp > Date.now() / 1000)) return hit;
    return introspect(token);
  };
}

/**
 * @param {{ publicKeyPem: string, issuer: string, audience: string, cache?: boolean }} options
 * @returns {Check}
 */
function jwtCheck({ publicKeyPem, issuer, audience, cache }) {
  const key = createPublicKey(publicKeyPem);
  /** @type {LRUCache<string, Claims> | undefined} */
  const lru = cache ? new LRUCache({ max: 10_000, ttl: 300_000 }) : undefined;
  return (header) => {
    const token = bearerToken(header);
    const hit = lru?.get(token);
    if (hit && /** @type {number} */ (hit.exp) > Date.now() / 1000) return hit;
    const claims = verifyJwt(token, key, issuer, audience);
    lru?.set(token, claims, {
      ttl: Math.min(/** @type {number} */ (claims.exp) * 1000 - Date.now(), 300_000),
    });
    return claims;
  };
}

/** @param {string} segment */
const json = (segment) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));

/**
 * @param {string} token
 * @param {import('node:crypto').KeyObject} key
 * @param {string} issuer
 * @param {string} audience
 * @returns {Claims}
 */
function verifyJwt(token, key, issuer, audience) {
  const [h, p, s] = token.split('.');
  if (h === undefined || p === undefined || s === undefined) throw invalid;
  let claims;
  try {
    if (json(h).alg !== 'RS256') throw invalid;
    const input = Buffer.from(`${h}.${p}`, 'latin1');
    if (!verify('sha256', input, key, Buffer.from(s, 'base64url'))) throw invalid;
    claims = json(p);
  } catch {
    throw invalid;
  }
  const aud = claims.aud;
  const audOk = aud === audience || (Array.isArray(aud) && aud.includes(audience));
  if (claims.iss !== issuer || !audOk || !(claims.exp > Date.now() / 1000)) throw invalid;
  return claims;
}

/**
 * A DPoP proof check (RFC 9449 §4.3) written by hand: `(proof, method, url)` returns the
 * proof's claims or throws `invalid`.
 * @param {{ maxAgeSec?: number }} [options]
 * @returns {(proof: string | undefined, method: string, url: string) => Claims}
 */
export function dpopProofCheck({ maxAgeSec = 300 } = {}) {
  /** @type {Map<string, import('node:crypto').KeyObject>} */
  const keys = new Map();
  /** @type {Map<string, number>} */
  const seen = new Map();
  return (proof, method, url) => {
    const [h, p, s] = (proof ?? '').split('.');
    if (!h || !p || !s) throw invalid;
    let key = keys.get(h);
    if (key === undefined) {
      const header = json(h);
      if (header.alg !== 'ES256') throw invalid;
      key = createPublicKey({ key: header.jwk, format: 'jwk' });
      keys.set(h, key);
    }
    const input = Buffer.from(`${h}.${p}`, 'latin1');
    const signature = Buffer.from(s, 'base64url');
    if (!verify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature)) throw invalid;
    const claims = json(p);
    const now = Date.now() / 1000;
    if (claims.htm !== method || claims.htu !== url) throw invalid;
    if (!(claims.iat > now - maxAgeSec && claims.iat < now + 5)) throw invalid;
    if (typeof claims.jti !== 'string' || seen.has(claims.jti)) throw invalid;
    seen.set(claims.jti, now + maxAgeSec);
    return claims;
  };
}
