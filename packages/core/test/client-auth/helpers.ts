/** Helpers for the client-auth tests: raw introspection calls and error serialisation. */
import { inspect } from 'node:util';
import {
  type ClientAuthenticator,
  createClientAuthenticator,
} from '../../src/client-auth/create-client-authenticator.js';
import { normalizeClientAuth } from '../../src/client-auth/normalize-client-auth.js';
import type { HttpClient } from '../../src/internal/http-client.js';

export interface RawAnswer {
  readonly status: number;
  readonly body: Record<string, unknown> | undefined;
  /** The headers the request was sent with (after `apply`). */
  readonly sent: Record<string, string>;
  /** The form the request was sent with (after `apply`). */
  readonly form: URLSearchParams;
}

/**
 * A raw RFC 7662 introspection POST carrying exactly what `apply` added, so the identity
 * server (not our own code) judges the credentials.
 */
export async function introspectWith(
  http: HttpClient,
  auth: ClientAuthenticator,
  introspectionEndpoint: string,
  token: string,
): Promise<RawAnswer> {
  const endpoint = new URL(introspectionEndpoint);
  const sent: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
  await auth.apply(endpoint, sent, form);
  const response = await http.send({
    method: 'POST',
    url: endpoint,
    headers: sent,
    body: form.toString(),
    purpose: 'introspection',
  });
  const body =
    response.status === 200 ? (JSON.parse(response.text) as Record<string, unknown>) : undefined;
  return { status: response.status, body, sent, form };
}

/** Normalises (as `createGuard` will) and builds an authenticator; counts token requests. */
export function authenticator(
  raw: unknown,
  http: HttpClient,
  tokenEndpoint: string | (() => Promise<URL>),
): { auth: ClientAuthenticator; tokenRequests: () => number } {
  let count = 0;
  const auth = createClientAuthenticator(
    normalizeClientAuth(raw, 'introspection.clientAuth', { allowInsecureHttp: true }),
    {
      http,
      tokenEndpoint:
        typeof tokenEndpoint === 'string' ? async () => new URL(tokenEndpoint) : tokenEndpoint,
      onTokenRequest: () => {
        count += 1;
      },
    },
  );
  return { auth, tokenRequests: () => count };
}

/** Applies credentials for a dummy endpoint and returns what was added. */
export async function applied(
  auth: ClientAuthenticator,
  endpoint = 'http://127.0.0.1:1/v1/oauth/introspect',
): Promise<{ headers: Record<string, string>; form: URLSearchParams }> {
  const headers: Record<string, string> = {};
  const form = new URLSearchParams();
  await auth.apply(new URL(endpoint), headers, form);
  return { headers, form };
}

/** Runs `fn`, which must reject; returns the error. */
export async function rejection(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/**
 * Every way an error may end up in a log: String(), JSON, util.inspect with hidden fields,
 * the stack, and the same for each `cause` down the chain.
 */
export function serialiseError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 10; depth += 1) {
    const e = current as Error & Record<string, unknown>;
    parts.push(String(e), e.stack ?? '', inspect(e, { depth: 10, showHidden: true }));
    try {
      parts.push(JSON.stringify({ ...e, message: e.message, body: e.body, headers: e.headers }));
    } catch {
      parts.push('[unserialisable]');
    }
    current = e.cause;
  }
  return parts.join('\n');
}
