import { generateKeyPairSync } from 'node:crypto';
import { createIdentityServer, type Fault, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientAuthenticator } from '../../src/client-auth/create-client-authenticator.js';
import { normalizeClientAuth } from '../../src/client-auth/normalize-client-auth.js';
import { createHttpClient, type HttpClient } from '../../src/internal/http-client.js';
import { applied, authenticator, rejection, serialiseError } from './helpers.js';

const CLIENT_ID = 'leak-check-rs';
const SECRET = 'Leak-Check-Secret_9f3a';
const WRONG_SECRET = 'Wrong-Leak-Secret_77b1';
const BEARER = 'Leak-Bearer-Token_5c2e';
const ISSUED = 'Leaked-Access-Token_d41d';
const KEY_MARKER = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC';
const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PEM = key.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
const PEM_BODY = PEM.split('\n')[1]!;
/** A compact JWS (a client assertion) anywhere in the text. */
const JWS = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

let idp: IdentityServer;
let http: HttpClient;
const errors: { what: string; error: unknown }[] = [];

async function collect(what: string, fn: () => Promise<unknown> | unknown): Promise<void> {
  errors.push({ what, error: await rejection(async () => fn()) });
}

beforeAll(async () => {
  idp = await createIdentityServer({
    jwtAlgorithms: ['ES256'],
    clients: [{ clientId: CLIENT_ID, clientSecret: SECRET }],
  });
  http = createHttpClient({ timeoutMs: 300, maxResponseBytes: 4096 });
});
afterAll(async () => {
  await http.close();
  await idp.close();
});

describe('secrets never appear in errors, logs, counters or thrown messages', () => {
  it('configuration errors never echo a secret, a token or a key', async () => {
    const bad: Record<string, unknown>[] = [
      { method: 'bearer', token: `${BEARER} with space` },
      { method: 'bearer', token: `${BEARER}\r\n` },
      { method: 'bearer', token: BEARER, extra: BEARER },
      { method: 'nope', token: BEARER, clientSecret: SECRET },
      { method: 'client_secret_basic', clientId: '', clientSecret: SECRET },
      { method: 'client_secret_post', clientId: CLIENT_ID, clientSecret: `${SECRET}\uDC00` },
      {
        method: 'client_credentials',
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        tokenEndpoint: `https://u:${SECRET}@x.example/t`,
      },
      {
        method: 'client_credentials',
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        tokenEndpoint: `http://x.example/${SECRET}`,
      },
      {
        method: 'client_credentials',
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        scope: `${SECRET}  x`,
      },
      {
        method: 'client_credentials',
        clientId: CLIENT_ID,
        clientSecret: SECRET,
        resource: `${SECRET}#x`,
      },
      { method: 'client_credentials', clientId: CLIENT_ID, clientSecret: SECRET, privateKey: PEM },
      { method: 'private_key_jwt', clientId: CLIENT_ID, privateKey: PEM, alg: 'ES256' },
      {
        method: 'private_key_jwt',
        clientId: CLIENT_ID,
        privateKey: PEM.replace(PEM_BODY, `${KEY_MARKER}x`),
      },
      {
        method: 'private_key_jwt',
        clientId: CLIENT_ID,
        privateKey: key.privateKey.export({ format: 'jwk' }),
        alg: 'HS256',
      },
    ];
    for (const value of bad) {
      await collect(`config ${String(value.method)}`, () =>
        normalizeClientAuth(value, 'introspection.clientAuth', { allowInsecureHttp: false }),
      );
    }
  });

  it('request-path errors: bearer sources, bad keys, refused and garbled token answers', async () => {
    const cc = { method: 'client_credentials', clientId: CLIENT_ID, clientSecret: SECRET };
    await collect('bearer source returns a bad value', () =>
      applied(
        authenticator({ method: 'bearer', token: () => `${BEARER} x` }, http, idp.tokenEndpoint)
          .auth,
      ),
    );
    await collect('unnormalised unusable key', () =>
      applied(
        createClientAuthenticator(
          {
            method: 'private_key_jwt',
            clientId: CLIENT_ID,
            privateKey: `-----BEGIN PRIVATE KEY-----\n${KEY_MARKER}\n`,
          },
          { http, tokenEndpoint: async () => new URL(idp.tokenEndpoint) },
        ),
      ),
    );
    await collect('wrong secret', () =>
      applied(authenticator({ ...cc, clientSecret: WRONG_SECRET }, http, idp.tokenEndpoint).auth),
    );
    await collect('wrong secret, post', () =>
      applied(
        authenticator(
          { ...cc, clientSecret: WRONG_SECRET, tokenEndpointAuthMethod: 'client_secret_post' },
          http,
          idp.tokenEndpoint,
        ).auth,
      ),
    );
    await collect('assertion with an unregistered key', () =>
      applied(
        authenticator(
          {
            method: 'client_credentials',
            clientId: CLIENT_ID,
            tokenEndpointAuthMethod: 'private_key_jwt',
            privateKey: PEM,
          },
          http,
          idp.tokenEndpoint,
        ).auth,
      ),
    );
    const json = 'application/json';
    const faults: [string, Fault][] = [
      [
        'error code echoing the secret',
        { kind: 'status', status: 401, body: JSON.stringify({ error: SECRET }) },
      ],
      [
        'error code echoing part of it',
        { kind: 'status', status: 400, body: JSON.stringify({ error: SECRET.slice(0, 12) }) },
      ],
      [
        'description echoing the secret',
        {
          kind: 'status',
          status: 400,
          body: JSON.stringify({ error: 'x', error_description: SECRET }),
        },
      ],
      [
        'truncated JSON with a token',
        { kind: 'status', status: 200, contentType: json, body: `{"access_token":"${ISSUED}", x` },
      ],
      [
        'non-b64token access_token',
        {
          kind: 'status',
          status: 200,
          body: JSON.stringify({ access_token: `${ISSUED} x`, token_type: 'Bearer' }),
        },
      ],
      [
        'token_type carrying the token',
        {
          kind: 'status',
          status: 200,
          body: JSON.stringify({ access_token: ISSUED, token_type: ISSUED }),
        },
      ],
      [
        'bad expires_in',
        {
          kind: 'status',
          status: 200,
          body: JSON.stringify({ access_token: ISSUED, token_type: 'Bearer', expires_in: ISSUED }),
        },
      ],
      [
        'a token as text',
        { kind: 'status', status: 200, contentType: 'text/plain', body: `access_token=${ISSUED}` },
      ],
      [
        'a token in a 502 body',
        { kind: 'status', status: 502, body: JSON.stringify({ access_token: ISSUED }) },
      ],
      ['a hang', { kind: 'hang' }],
      ['a reset', { kind: 'reset' }],
    ];
    for (const [what, fault] of faults) {
      idp.injectFault('token', fault, 1);
      await collect(what, () => applied(authenticator(cc, http, idp.tokenEndpoint).auth));
    }
  });

  it('none of the collected errors contains a secret, a token, a key or an assertion', () => {
    expect(errors.length).toBe(30);
    for (const { what, error } of errors) {
      const text = serialiseError(error);
      for (const secret of [SECRET, WRONG_SECRET, BEARER, ISSUED, KEY_MARKER, PEM_BODY]) {
        expect(text, `${what} leaks`).not.toContain(secret);
      }
      expect(text, `${what} leaks an assertion`).not.toMatch(JWS);
      // The one basic-auth value we can predict must not appear either.
      expect(text).not.toContain(Buffer.from(`${CLIENT_ID}:${WRONG_SECRET}`).toString('base64'));
    }
  });

  it('the refused-credential error still tells operators what happened', () => {
    const wrong = errors.find((e) => e.what === 'wrong secret')!.error as Error;
    expect(wrong.message).toBe(
      "token endpoint refused our client credentials or request (HTTP 401, error 'invalid_client')",
    );
  });

  it('the token-request counter hook receives nothing', async () => {
    const seen: unknown[][] = [];
    const auth = createClientAuthenticator(
      normalizeClientAuth(
        { method: 'client_credentials', clientId: CLIENT_ID, clientSecret: SECRET },
        'clientAuth',
        { allowInsecureHttp: true },
      ),
      {
        http,
        tokenEndpoint: async () => new URL(idp.tokenEndpoint),
        onTokenRequest: (...args: unknown[]) => void seen.push(args),
      },
    );
    await applied(auth);
    expect(seen).toEqual([[]]);
  });
});
