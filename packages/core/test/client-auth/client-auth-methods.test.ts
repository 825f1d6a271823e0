import { generateKeyPairSync } from 'node:crypto';
import {
  createIdentityServer,
  generateClientKeyPair,
  type IdentityServer,
} from '@tokenguard/testing';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE } from '../../src/client-auth/create-assertion-signer.js';
import { ServerError, TokenGuardError, UpstreamUnavailableError } from '../../src/errors.js';
import { createHttpClient, type HttpClient } from '../../src/internal/http-client.js';
import { applied, authenticator, introspectWith, rejection } from './helpers.js';

let idp: IdentityServer;
let http: HttpClient;
const es256 = await generateClientKeyPair('ES256');
const rs256 = await generateClientKeyPair('RS256');
const ed25519 = await generateClientKeyPair('EdDSA');

beforeAll(async () => {
  idp = await createIdentityServer({
    jwtAlgorithms: ['ES256'],
    clients: [
      { clientId: 'rs-es256', jwks: { keys: [es256.publicJwk] } },
      { clientId: 'rs-rs256', jwks: { keys: [rs256.publicJwk] } },
      { clientId: 'rs-ed25519', jwks: { keys: [ed25519.publicJwk] } },
    ],
  });
  http = createHttpClient({ timeoutMs: 5000, maxResponseBytes: 65_536 });
});
afterAll(async () => {
  await http.close();
  await idp.close();
});

async function accepted(raw: unknown): Promise<void> {
  const { auth } = authenticator(raw, http, idp.tokenEndpoint);
  const token = idp.mintToken({ scope: 'read', brand: 'acme' });
  const answer = await introspectWith(http, auth, idp.introspectionEndpoint, token);
  expect(answer.status).toBe(200);
  expect(answer.body).toMatchObject({ active: true, scope: 'read', brand: 'acme' });
}

describe('bearer (the contract example: Authorization: Bearer $ACCESS_TOKEN)', () => {
  it('a static token is accepted by the introspection endpoint', async () => {
    await accepted({ method: 'bearer', token: idp.callerToken });
  });

  it('a static token: a retry cannot help, invalidate() answers false', () => {
    const { auth } = authenticator(
      { method: 'bearer', token: idp.callerToken },
      http,
      idp.tokenEndpoint,
    );
    expect(auth.invalidate()).toBe(false);
  });

  it('an async source is accepted and called for every request (caching is its owner’s)', async () => {
    let calls = 0;
    const token = async () => {
      calls += 1;
      return idp.callerToken;
    };
    await accepted({ method: 'bearer', token });
    const { auth } = authenticator({ method: 'bearer', token }, http, idp.tokenEndpoint);
    await applied(auth);
    await applied(auth);
    expect(calls).toBe(3);
    expect(auth.invalidate()).toBe(true);
  });

  it('RFC 6750 §2.1: a source returning a non-b64token value is a ServerError (500), not sent', async () => {
    for (const value of ['two words', 'x\r\nx-injected: 1', '', 42, undefined]) {
      const { auth } = authenticator(
        { method: 'bearer', token: () => value as string },
        http,
        idp.tokenEndpoint,
      );
      const headers: Record<string, string> = {};
      const error = await rejection(() =>
        auth.apply(new URL(idp.introspectionEndpoint), headers, new URLSearchParams()),
      );
      expect(error).toBeInstanceOf(ServerError);
      expect(headers.authorization).toBeUndefined();
    }
  });

  it('a failing source is an outage (503) with the cause kept; a TokenGuardError passes through', async () => {
    const boom = new Error('vault unreachable');
    const failing = authenticator(
      { method: 'bearer', token: async () => Promise.reject(boom) },
      http,
      idp.tokenEndpoint,
    );
    const error = await rejection(() => applied(failing.auth));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error.cause).toBe(boom);
    const own = new ServerError({ message: 'mine' });
    const passing = authenticator(
      { method: 'bearer', token: () => Promise.reject(own) },
      http,
      idp.tokenEndpoint,
    );
    expect(await rejection(() => applied(passing.auth))).toBe(own);
  });
});

describe('client_secret_basic and client_secret_post (RFC 6749 §2.3.1)', () => {
  it('client_secret_basic is accepted', async () => {
    await accepted({ method: 'client_secret_basic', ...idp.defaultClient });
  });

  it('client_secret_post is accepted, with client_id and client_secret as form fields', async () => {
    await accepted({ method: 'client_secret_post', ...idp.defaultClient });
    const { auth } = authenticator(
      { method: 'client_secret_post', ...idp.defaultClient },
      http,
      idp.tokenEndpoint,
    );
    const { headers, form } = await applied(auth);
    expect(headers.authorization).toBeUndefined();
    expect(form.get('client_id')).toBe(idp.defaultClient.clientId);
    expect(form.get('client_secret')).toBe(idp.defaultClient.clientSecret);
    expect(auth.invalidate()).toBe(false);
  });

  it("RFC 6749 §2.3.1: an id and secret with ':', '%', '+', spaces and non-ASCII are form-encoded before base64", async () => {
    const client = { clientId: 'urn:rs:1 ä%+', clientSecret: 'p:a%20ss wörd+€😀' };
    idp.registerClient(client);
    await accepted({ method: 'client_secret_basic', ...client });
    await accepted({ method: 'client_secret_post', ...client });
    // The control: the same pair base64-encoded without form-encoding is refused, so the
    // test above could fail.
    const naive = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    const answer = await introspectWith(
      http,
      {
        apply: async (_e, headers) => {
          headers.authorization = naive;
        },
        invalidate: () => false,
      },
      idp.introspectionEndpoint,
      idp.mintToken(),
    );
    expect(answer.status).toBe(401);
  });

  it('a wrong secret is refused by the endpoint (401)', async () => {
    const { auth } = authenticator(
      {
        method: 'client_secret_basic',
        clientId: idp.defaultClient.clientId,
        clientSecret: 'wrong',
      },
      http,
      idp.tokenEndpoint,
    );
    expect(
      (await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken())).status,
    ).toBe(401);
  });
});

describe('private_key_jwt (RFC 7523)', () => {
  it.each([
    ['ES256', 'rs-es256', es256],
    ['RS256', 'rs-rs256', rs256],
    ['EdDSA', 'rs-ed25519', ed25519],
  ] as const)(
    '%s assertions are accepted by the introspection endpoint',
    async (_alg, clientId, pair) => {
      await accepted({
        method: 'private_key_jwt',
        clientId,
        privateKey: pair.privateKey,
        kid: pair.publicJwk.kid,
      });
    },
  );

  it('a PEM string and a private JWK work as well as a KeyObject', async () => {
    const pem = es256.privateKey.export({ type: 'pkcs8', format: 'pem' });
    await accepted({ method: 'private_key_jwt', clientId: 'rs-es256', privateKey: pem });
    const jwk = es256.privateKey.export({ format: 'jwk' });
    await accepted({ method: 'private_key_jwt', clientId: 'rs-es256', privateKey: jwk });
  });

  it('RFC 7523 §3: iss = sub = client id, aud = the endpoint called, fresh jti, exp = iat + 60 s, kid header', async () => {
    const { auth } = authenticator(
      {
        method: 'private_key_jwt',
        clientId: 'rs-es256',
        privateKey: es256.privateKey,
        kid: es256.publicJwk.kid,
      },
      http,
      idp.tokenEndpoint,
    );
    const first = await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken());
    const second = await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken());
    // Both accepted: the server refuses a replayed jti, so the second proves a fresh one.
    expect([first.status, second.status]).toEqual([200, 200]);
    const a = first.form.get('client_assertion')!;
    const b = second.form.get('client_assertion')!;
    expect(first.form.get('client_assertion_type')).toBe(CLIENT_ASSERTION_TYPE);
    expect(first.sent.authorization).toBeUndefined();
    expect(a).not.toBe(b);
    expect(decodeJwt(a).jti).not.toBe(decodeJwt(b).jti);

    const key = await importJWK(es256.publicJwk, 'ES256');
    const { payload, protectedHeader } = await jwtVerify(a, key, {
      issuer: 'rs-es256',
      subject: 'rs-es256',
      audience: idp.introspectionEndpoint,
      algorithms: ['ES256'],
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: es256.publicJwk.kid });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(payload.aud).toBe(idp.introspectionEndpoint);
  });

  it('the audience follows the endpoint being called', async () => {
    const { auth } = authenticator(
      { method: 'private_key_jwt', clientId: 'rs-es256', privateKey: es256.privateKey },
      http,
      idp.tokenEndpoint,
    );
    const { form } = await applied(auth, 'https://other.example/introspect');
    expect(decodeJwt(form.get('client_assertion')!).aud).toBe('https://other.example/introspect');
    expect(decodeProtectedHeader(form.get('client_assertion')!).kid).toBeUndefined();
    expect(auth.invalidate()).toBe(false);
  });

  it('an assertion signed by an unregistered key is refused by the endpoint (401)', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { auth } = authenticator(
      { method: 'private_key_jwt', clientId: 'rs-es256', privateKey: stranger.privateKey },
      http,
      idp.tokenEndpoint,
    );
    expect(
      (await introspectWith(http, auth, idp.introspectionEndpoint, idp.mintToken())).status,
    ).toBe(401);
  });
});

describe('client_credentials (RFC 6749 §4.4): the obtained token is accepted by introspection', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'token endpoint auth %s',
    async (tokenEndpointAuthMethod) => {
      await accepted({
        method: 'client_credentials',
        tokenEndpointAuthMethod,
        ...idp.defaultClient,
      });
    },
  );

  it('token endpoint auth private_key_jwt (aud = the token endpoint)', async () => {
    await accepted({
      method: 'client_credentials',
      tokenEndpointAuthMethod: 'private_key_jwt',
      clientId: 'rs-es256',
      privateKey: es256.privateKey,
      kid: es256.publicJwk.kid,
    });
  });

  it('sends scope and one resource parameter per indicator (RFC 8707 §2)', async () => {
    const { auth } = authenticator(
      {
        method: 'client_credentials',
        ...idp.defaultClient,
        scope: 'introspect audit',
        resource: ['https://api-a.example/', 'https://api-b.example/'],
      },
      http,
      idp.tokenEndpoint,
    );
    const { headers } = await applied(auth);
    expect(headers.authorization).toMatch(/^Bearer [A-Za-z0-9\-._~+/]+=*$/);
    const ownToken = headers.authorization!.slice('Bearer '.length);
    const answer = await introspectWith(
      http,
      authenticator({ method: 'bearer', token: idp.callerToken }, http, idp.tokenEndpoint).auth,
      idp.introspectionEndpoint,
      ownToken,
    );
    expect(answer.body).toMatchObject({
      active: true,
      client_id: idp.defaultClient.clientId,
      scope: 'introspect audit',
      aud: ['https://api-a.example/', 'https://api-b.example/'],
    });
  });
});

describe('errors on the request path are tokenguard errors', () => {
  it('an unusable key given without normalisation is a ServerError on first use', async () => {
    const { createClientAuthenticator } = await import(
      '../../src/client-auth/create-client-authenticator.js'
    );
    const auth = createClientAuthenticator(
      { method: 'private_key_jwt', clientId: 'rs', privateKey: 'not a key' },
      { http, tokenEndpoint: async () => new URL(idp.tokenEndpoint) },
    );
    const error = await rejection(() => applied(auth));
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toBeInstanceOf(TokenGuardError);
  });
});
