import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import { type FormParams, nowSec, REALM } from './internal/http.js';
import type { TokenStore } from './internal/token-store.js';
import type { ClientRegistration } from './types.js';

/** RFC 7523 §2.2 client assertion type. */
export const JWT_BEARER_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Client authentication methods the server accepts (RFC 8414 names). */
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/** Algorithms accepted in client assertions: asymmetric only, never `none` or HMAC. */
export const ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519'];

/** Who called: a registered client, or the static caller token (`clientId` undefined). */
export interface Caller {
  clientId?: string;
  method: 'bearer' | 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
}

/** A failed authentication, ready to be sent as an OAuth error. */
export interface AuthFailure {
  status: 400 | 401;
  error: 'invalid_request' | 'invalid_client';
  description: string;
  headers: Record<string, string>;
}

/** Everything client authentication needs to know about the server. */
export interface ClientAuthContext {
  clients: Map<string, ClientRegistration>;
  store: TokenStore;
  callerToken: string;
  issuer: string;
  /** Remembered assertion `jti`s with their expiry, to refuse replays (RFC 7523 §3 item 7). */
  seenJtis: Map<string, number>;
}

function sameSecret(a: string, b: string): boolean {
  // Hash first so the comparison is constant-time whatever the lengths.
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** RFC 6749 §2.3.1 / Appendix B: id and secret are form-urlencoded before base64. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function fail(description: string, challenge: string): AuthFailure {
  return {
    status: 401,
    error: 'invalid_client',
    description,
    headers: { 'www-authenticate': challenge },
  };
}

function checkSecret(
  ctx: ClientAuthContext,
  clientId: string,
  secret: string,
  method: Caller['method'],
  challenge: string,
): Caller | AuthFailure {
  const client = ctx.clients.get(clientId);
  // Compare even for unknown clients so both failures take the same path.
  const expected = client?.clientSecret ?? '';
  const ok = sameSecret(secret, expected) && client?.clientSecret !== undefined;
  if (!client || !ok) return fail('client authentication failed', challenge);
  return { clientId, method };
}

async function checkAssertion(
  ctx: ClientAuthContext,
  form: FormParams,
  audiences: string[],
  challenge: string,
): Promise<Caller | AuthFailure> {
  if (form.get('client_assertion_type') !== JWT_BEARER_ASSERTION_TYPE) {
    return fail('unsupported client_assertion_type', challenge);
  }
  const assertion = form.get('client_assertion') ?? '';
  let iss: unknown;
  try {
    iss = decodeJwt(assertion).iss;
  } catch {
    return fail('client_assertion is not a JWT', challenge);
  }
  const clientId = form.get('client_id') ?? iss;
  if (typeof clientId !== 'string' || clientId !== iss) {
    return fail('client_assertion iss does not match client_id', challenge);
  }
  const client = ctx.clients.get(clientId);
  if (!client?.jwks) return fail('client authentication failed', challenge);
  let payload: Record<string, unknown>;
  try {
    const jwks = createLocalJWKSet(client.jwks as JSONWebKeySet);
    ({ payload } = await jwtVerify(assertion, jwks, {
      issuer: clientId,
      subject: clientId,
      audience: audiences,
      algorithms: ASSERTION_ALGORITHMS,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: 5,
    }));
  } catch {
    return fail('client assertion rejected', challenge);
  }
  const jti = `${clientId}\u0000${String(payload.jti)}`;
  const now = nowSec();
  for (const [key, exp] of ctx.seenJtis) if (exp + 5 < now) ctx.seenJtis.delete(key);
  if (ctx.seenJtis.has(jti)) return fail('client assertion replayed (jti already used)', challenge);
  ctx.seenJtis.set(jti, Number(payload.exp));
  return { clientId, method: 'private_key_jwt' };
}

function checkBearer(ctx: ClientAuthContext, token: string): Caller | AuthFailure {
  if (token && sameSecret(token, ctx.callerToken)) return { method: 'bearer' };
  const record = token ? ctx.store.active(token) : undefined;
  if (record?.issuedToClient && ctx.clients.has(record.issuedToClient)) {
    return { clientId: record.issuedToClient, method: 'bearer' };
  }
  return fail(
    'caller token is invalid, expired or revoked',
    `Bearer realm="${REALM}", error="invalid_token"`,
  );
}

/**
 * Authenticate the caller of an endpoint. Accepts exactly one of: `Authorization: Basic`
 * (client_secret_basic), client_id + client_secret in the form (client_secret_post), an RFC
 * 7523 client assertion (private_key_jwt), and — when `allowBearer` — `Authorization: Bearer`
 * with the caller token or a client_credentials token. RFC 6749 §2.3: using more than one
 * method is an `invalid_request`.
 *
 * @param audiences - accepted `aud` values of a client assertion (endpoint URL and issuer).
 */
export async function authenticateClient(
  ctx: ClientAuthContext,
  req: IncomingMessage,
  form: FormParams,
  audiences: string[],
  allowBearer: boolean,
): Promise<Caller | AuthFailure> {
  const defaultChallenge = allowBearer ? `Bearer realm="${REALM}"` : `Basic realm="${REALM}"`;
  const header = req.headers.authorization;
  const usesPost = form.has('client_secret');
  const usesJwt = form.has('client_assertion') || form.has('client_assertion_type');
  const methods = Number(header !== undefined) + Number(usesPost) + Number(usesJwt);
  const authParams = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];
  if (form.duplicates.some((name) => authParams.includes(name))) {
    return {
      status: 400,
      error: 'invalid_request',
      description: 'a client authentication parameter was repeated',
      headers: {},
    };
  }
  if (methods > 1) {
    return {
      status: 400,
      error: 'invalid_request',
      description: 'more than one client authentication method was used',
      headers: {},
    };
  }
  if (header !== undefined) {
    const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
    const scheme = match?.[1]?.toLowerCase();
    const credentials = match?.[2] ?? '';
    if (scheme === 'basic') {
      const basicChallenge = `Basic realm="${REALM}"`;
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return fail('malformed Basic credentials', basicChallenge);
      let id: string;
      let secret: string;
      try {
        id = formDecode(decoded.slice(0, colon));
        secret = formDecode(decoded.slice(colon + 1));
      } catch {
        return fail('malformed Basic credentials', basicChallenge);
      }
      return checkSecret(ctx, id, secret, 'client_secret_basic', basicChallenge);
    }
    if (scheme === 'bearer' && allowBearer) return checkBearer(ctx, credentials);
    return fail('unsupported authorization scheme', defaultChallenge);
  }
  if (usesPost) {
    return checkSecret(
      ctx,
      form.get('client_id') ?? '',
      form.get('client_secret') ?? '',
      'client_secret_post',
      defaultChallenge,
    );
  }
  if (usesJwt) return checkAssertion(ctx, form, audiences, defaultChallenge);
  return fail('client authentication required', defaultChallenge);
}

/** Type guard: did authentication fail? */
export function isAuthFailure(result: Caller | AuthFailure): result is AuthFailure {
  return 'error' in result;
}
