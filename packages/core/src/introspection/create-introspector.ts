/**
 * RFC 7662 introspection: `POST token=…&token_type_hint=access_token` to the identity
 * service, authenticated as configured, and the answer validated (see
 * parse-introspection-response.ts). Status mapping (the README's error table):
 * 200 → verdict; 400/401/403 → our own credentials or request are wrong → 500;
 * anything else (3xx, 429, 5xx), a transport fault or garbage → 503.
 */
import type { ClientAuthenticator } from '../client-auth/create-client-authenticator.js';
import { type HttpClient, parseJsonObject } from '../internal/http-client.js';
import { oauthErrorCode, upstreamRefusal } from '../internal/upstream-refusal.js';
import {
  type IntrospectionVerdict,
  parseIntrospectionResponse,
} from './parse-introspection-response.js';

/**
 * How long "our credentials were refused even after a refresh" is remembered, in ms. Meanwhile
 * a 401 is answered 500 without another refresh and retry: outside requests must not be able
 * to drive our token endpoint (a refresh plus a retry each) while the identity service
 * refuses us. Requests still make their one introspection call, so recovery is immediate.
 */
export const REFUSED_CREDENTIALS_RETRY_MS = 5000;

export interface IntrospectorDeps {
  readonly http: HttpClient;
  /** The endpoint, explicit or discovered (resolved lazily). */
  readonly endpoint: () => Promise<URL>;
  readonly clientAuth: ClientAuthenticator | undefined;
  readonly clockToleranceSec: number;
  /** Accepted audiences of introspection answers that carry `aud` (RFC 7662 §2.2). */
  readonly audience?: readonly string[];
  /** Refuse answers without `aud` (with `audience`). */
  readonly requireAudience?: boolean;
  readonly onCall: () => void;
}

interface IntrospectionAnswer {
  readonly status: number;
  /** The headers we sent, so a 401 can invalidate exactly the credentials it refused. */
  readonly sentHeaders: Readonly<Record<string, string>>;
  readonly body?: Record<string, unknown>;
  /** The OAuth `error` code of a non-200 JSON answer, if any. */
  readonly error?: string;
  /** What we sent that a refusal's message must not echo (the token, our credentials). */
  readonly sent?: readonly (string | null | undefined)[];
}

export interface Introspector {
  introspect(token: string): Promise<IntrospectionVerdict>;
}

export function createIntrospector(deps: IntrospectorDeps): Introspector {
  async function call(token: string, endpoint: URL): Promise<IntrospectionAnswer> {
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    await deps.clientAuth?.apply(endpoint, headers, form);
    deps.onCall();
    const response = await deps.http.send({
      method: 'POST',
      url: endpoint,
      headers,
      body: form.toString(),
      purpose: 'introspection',
    });
    if (response.status === 200) {
      return {
        status: 200,
        sentHeaders: headers,
        body: parseJsonObject(response, 'introspection'),
      };
    }
    return {
      status: response.status,
      sentHeaders: headers,
      sent: [token, headers.authorization, form.get('client_secret'), form.get('client_assertion')],
      error: oauthErrorCode(response),
    };
  }

  const checks = {
    clockToleranceSec: deps.clockToleranceSec,
    audience: deps.audience,
    requireAudience: deps.requireAudience,
  };
  /** When "refused after a refresh" was last seen (0: not recently). */
  let refusedAt = 0;

  return {
    async introspect(token) {
      const endpoint = await deps.endpoint();
      let answer = await call(token, endpoint);
      const refreshHeld = refusedAt !== 0 && Date.now() - refusedAt < REFUSED_CREDENTIALS_RETRY_MS;
      // Our own bearer token may have expired or been revoked: refresh once, retry once.
      // Passing the refused headers lets concurrent 401s drop only the token they used,
      // not the one another request has just refreshed.
      if (
        answer.status === 401 &&
        !refreshHeld &&
        deps.clientAuth?.invalidate(answer.sentHeaders) === true
      ) {
        answer = await call(token, endpoint);
        if (answer.status === 401) refusedAt = Date.now();
      }
      if (answer.status !== 401) refusedAt = 0;
      const { status, body, error, sent } = answer;
      if (body !== undefined) return parseIntrospectionResponse(body, checks);
      // oidc-provider answers 400 unsupported_token_type (the RFC 7009 §2.2.1 code) for any
      // JWS-shaped token, before looking it up: anyone can send one, so it is a verdict on
      // the token (401), not a sign that our request or credentials are wrong (500).
      if (status === 400 && error === 'unsupported_token_type') {
        return { kind: 'invalid', reason: 'token_type_unsupported' };
      }
      throw upstreamRefusal('introspection', status, error, sent);
    },
  };
}
