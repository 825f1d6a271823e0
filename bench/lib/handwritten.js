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
 * @param {{ publicKeyPem: string, issuer: string, audience: string }} options
 * @returns {Check}
 */
function jwtCheck({ publicKeyPem, issuer, audience }) {
  const key = createPublicKey(publicKeyPem);
  /** @param {string} segment */
  const json = (segment) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  return (header) => {
    const [h, p, s] = bearerToken(header).split('.');
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
  };
}
