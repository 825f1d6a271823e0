import {
  type ClientKeyPair,
  createIdentityServer,
  generateClientKeyPair,
  type IdentityServer,
} from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { basic, clientAssertion, JWT_BEARER, postForm } from './helpers.js';

let server: IdentityServer;
let keys: ClientKeyPair;
const DENIED = { clientId: 'batch', clientSecret: 'batch-secret', canIntrospect: false };

beforeAll(async () => {
  keys = await generateClientKeyPair('EdDSA');
  server = await createIdentityServer({
    accessTokenTtlSec: 120,
    jwtAlgorithms: ['ES256'],
    clients: [DENIED, { clientId: 'signer', jwks: { keys: [keys.publicJwk] } }],
  });
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => server.close());

const secretBasic = () => ({
  authorization: basic(server.defaultClient.clientId, server.defaultClient.clientSecret),
});

async function assertion(aud: string) {
  return clientAssertion(keys.privateKey, keys.publicJwk.kid, 'EdDSA', 'signer', aud);
}

function introspectWith(callerToken: string, token: string) {
  return postForm(
    server.introspectionEndpoint,
    { token },
    { authorization: `Bearer ${callerToken}` },
  );
}

describe('RFC 6749 §4.4 client_credentials', () => {
  const methods: [
    string,
    () => Promise<{ params: Record<string, string>; headers: Record<string, string> }>,
    string,
  ][] = [
    [
      'client_secret_basic',
      async () => ({ params: { grant_type: 'client_credentials' }, headers: secretBasic() }),
      'resource-server',
    ],
    [
      'client_secret_post',
      async () => ({
        params: {
          grant_type: 'client_credentials',
          client_id: server.defaultClient.clientId,
          client_secret: server.defaultClient.clientSecret,
        },
        headers: {},
      }),
      'resource-server',
    ],
    [
      'private_key_jwt (aud = token endpoint)',
      async () => ({
        params: {
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: await assertion(server.tokenEndpoint),
        },
        headers: {},
      }),
      'signer',
    ],
    [
      'private_key_jwt (aud = issuer)',
      async () => ({
        params: {
          grant_type: 'client_credentials',
          client_assertion_type: JWT_BEARER,
          client_assertion: await assertion(server.issuer),
        },
        headers: {},
      }),
      'signer',
    ],
  ];

  it.each(methods)(
    '%s: issues a token that introspects and works as caller credential',
    async (_n, build, clientId) => {
      const { params, headers } = await build();
      const res = await postForm(server.tokenEndpoint, { ...params, scope: 'introspect' }, headers);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 120,
        scope: 'introspect',
      });
      const issued = res.body!.access_token as string;
      const target = server.mintToken({ sub: 'bob' });
      const answer = await introspectWith(issued, target);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ active: true, sub: 'bob' });
      const self = await introspectWith(server.callerToken, issued);
      expect(self.body).toMatchObject({ active: true, client_id: clientId, scope: 'introspect' });
    },
  );

  it('RFC 8707: resource is reported as aud; scope is omitted when not requested', async () => {
    const res = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials', resource: 'https://api.example' },
      secretBasic(),
    );
    expect(res.body).not.toHaveProperty('scope');
    const self = await introspectWith(server.callerToken, res.body!.access_token as string);
    expect(self.body?.aud).toBe('https://api.example');
  });

  it('a token of a client that may not introspect is refused as caller credential (403)', async () => {
    const res = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic(DENIED.clientId, DENIED.clientSecret) },
    );
    expect(res.status).toBe(200);
    const answer = await introspectWith(res.body!.access_token as string, server.mintToken());
    expect(answer.status).toBe(403);
    expect(answer.body?.error).toBe('access_denied');
  });

  it('a revoked issued token is refused as caller credential (401)', async () => {
    const res = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      secretBasic(),
    );
    const issued = res.body!.access_token as string;
    server.revoke(issued);
    const answer = await introspectWith(issued, server.mintToken());
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('an issued token expires after expires_in and is then refused (401)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const res = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      secretBasic(),
    );
    const issued = res.body!.access_token as string;
    expect((await introspectWith(issued, 'x')).status).toBe(200);
    vi.setSystemTime(Date.now() + 121_000);
    expect((await introspectWith(issued, 'x')).status).toBe(401);
    expect((await introspectWith(server.callerToken, issued)).body).toEqual({ active: false });
  });

  it('counts token endpoint calls', async () => {
    server.resetCalls();
    await postForm(server.tokenEndpoint, { grant_type: 'client_credentials' }, secretBasic());
    expect(server.calls.token).toBe(1);
  });
});

describe('token endpoint errors', () => {
  it('RFC 6749 §5.2: a wrong secret answers 401 invalid_client with a Basic challenge', async () => {
    const res = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: basic('resource-server', 'wrong') },
    );
    expect(res.status).toBe(401);
    expect(res.body?.error).toBe('invalid_client');
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
  });

  it('no client authentication answers 401', async () => {
    const res = await postForm(server.tokenEndpoint, { grant_type: 'client_credentials' });
    expect(res.status).toBe(401);
  });

  it('a bearer token is not client authentication at the token endpoint (401)', async () => {
    const res = await postForm(
      server.tokenEndpoint,
      { grant_type: 'client_credentials' },
      { authorization: `Bearer ${server.callerToken}` },
    );
    expect(res.status).toBe(401);
  });

  it('private_key_jwt with aud = the introspection endpoint is refused here (401)', async () => {
    const res = await postForm(server.tokenEndpoint, {
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER,
      client_assertion: await assertion(server.introspectionEndpoint),
    });
    expect(res.status).toBe(401);
  });

  it('RFC 6749 §5.2: another grant type answers 400 unsupported_grant_type', async () => {
    const res = await postForm(server.tokenEndpoint, { grant_type: 'password' }, secretBasic());
    expect(res.status).toBe(400);
    expect(res.body?.error).toBe('unsupported_grant_type');
  });

  it('RFC 6749 §5.2: a missing grant_type answers 400 invalid_request', async () => {
    const res = await postForm(server.tokenEndpoint, {}, secretBasic());
    expect(res.status).toBe(400);
    expect(res.body?.error).toBe('invalid_request');
  });

  it('a wrong method answers 405', async () => {
    const res = await fetch(server.tokenEndpoint);
    expect(res.status).toBe(405);
    await res.body?.cancel();
  });
});
