/**
 * The identity server as an OpenID Shared Signals transmitter: it signs RFC 8417 Security
 * Event Tokens with its own keys (published in its JWKS) and pushes them to a receiver as
 * RFC 8935 says (`POST`, `Content-Type: application/secevent+jwt`).
 */
import { randomUUID } from 'node:crypto';
import { nowSec } from './internal/http.js';
import type { KeyRing } from './keys.js';
import { signJws } from './mint-jwt.js';
import type { PushResult, SecurityEventOptions } from './types.js';

/** CAEP 1.0 §3.1 `session-revoked`. */
export const CAEP_SESSION_REVOKED =
  'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
/** CAEP 1.0 §3.5 `credential-change`. */
export const CAEP_CREDENTIAL_CHANGE =
  'https://schemas.openid.net/secevent/caep/event-type/credential-change';

export interface SecurityEventState {
  readonly issuer: string;
  readonly keys: KeyRing;
  attackerKeys(): Promise<KeyRing>;
}

/**
 * Signs a SET: header `typ: secevent+jwt` and the current key's `kid`; claims `iss`, `aud`,
 * `iat`, `jti`, `events`, then `sub_id` (OpenID SSF 1.0) when `subject` is given, then
 * `claims` merged last.
 */
export async function mintSecurityEvent(
  state: SecurityEventState,
  options: SecurityEventOptions,
): Promise<string> {
  const alg = options.alg ?? 'RS256';
  const key = state.keys.current(alg);
  const signingKey =
    options.signWith === 'attacker'
      ? (await state.attackerKeys()).current(alg).privateKey
      : key.privateKey;
  const payload: Record<string, unknown> = {
    iss: state.issuer,
    aud: options.audience,
    iat: nowSec(),
    jti: randomUUID(),
    events: options.events,
    ...(options.subject === undefined ? {} : { sub_id: options.subject }),
    ...options.claims,
  };
  const header = { typ: 'secevent+jwt', kid: key.kid, ...options.header, alg };
  return signJws(header, payload, signingKey);
}

/** `POST`s a SET to a receiver endpoint (RFC 8935 §2) and reports its answer. */
export async function pushSecurityEvent(
  endpoint: string,
  set: string,
  init: { authorization?: string; contentType?: string } = {},
): Promise<PushResult> {
  const headers: Record<string, string> = {
    'content-type': init.contentType ?? 'application/secevent+jwt',
    accept: 'application/json',
  };
  if (init.authorization !== undefined) headers.authorization = init.authorization;
  const response = await fetch(endpoint, { method: 'POST', headers, body: set });
  const text = await response.text();
  let body: unknown = text;
  if (/\bjson\b/.test(response.headers.get('content-type') ?? '') && text !== '') {
    body = JSON.parse(text);
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), body };
}
