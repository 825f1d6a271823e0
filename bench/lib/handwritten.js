// @ts-check
/**
 * The comparison point for introspection: the Express middleware a careful user would write
 * by hand with undici `request()` (keep-alive pool) and lru-cache, without a library.
 * It does what such code usually does: a case-insensitive Bearer match, RFC 7662 POST with
 * the service's bearer credential, `active === true` and `exp` checked, active results cached
 * until `exp` (at most 5 minutes) keyed by the raw token. Like most hand-written code it has
 * no single-flight: concurrent misses on one token each call the identity service.
 */
import { LRUCache } from 'lru-cache';
import { Agent, request } from 'undici';

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * @param {{ endpoint: string, callerToken: string, cache: boolean }} options
 * @returns {import('express').RequestHandler}
 */
export function handwrittenIntrospection({ endpoint, callerToken, cache }) {
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
  /** @type {LRUCache<string, Record<string, unknown>> | undefined} */
  const lru = cache ? new LRUCache({ max: 10_000, ttl: 300_000 }) : undefined;
  const authorization = `Bearer ${callerToken}`;

  /** @param {string} token */
  async function introspect(token) {
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
    return /** @type {Record<string, unknown>} */ (await body.json());
  }

  /** @param {import('express').Response} res */
  const unauthorized = (res) =>
    res
      .status(401)
      .set('www-authenticate', 'Bearer realm="api", error="invalid_token"')
      .json({ error: 'invalid_token', error_description: 'The access token is not valid' });

  return (req, res, next) => {
    const m = BEARER.exec(req.headers.authorization ?? '');
    if (!m) {
      res.status(401).set('www-authenticate', 'Bearer realm="api"');
      res.json({ error: 'invalid_request', error_description: 'No bearer token' });
      return;
    }
    const token = m[1];
    const now = Date.now() / 1000;
    const hit = lru?.get(token);
    if (hit && (typeof hit.exp !== 'number' || hit.exp > now)) {
      /** @type {any} */ (req).auth = hit;
      next();
      return;
    }
    introspect(token).then(
      (claims) => {
        const exp = claims.exp;
        if (claims.active !== true || (typeof exp === 'number' && exp <= now)) {
          unauthorized(res);
          return;
        }
        if (lru) {
          const ttl = typeof exp === 'number' ? Math.min((exp - now) * 1000, 300_000) : 300_000;
          lru.set(token, claims, { ttl });
        }
        /** @type {any} */ (req).auth = claims;
        next();
      },
      () => {
        res.status(503).set('retry-after', '1');
        res.json({ error: 'temporarily_unavailable', error_description: 'Try again later' });
      },
    );
  };
}
