import { connect } from 'node:net';
import {
  type ClientKeyPair,
  createIdentityServer,
  generateClientKeyPair,
  type IdentityServer,
} from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, clientAssertion, JWT_BEARER, json, postForm } from './helpers.js';

let server: IdentityServer;
let keys: ClientKeyPair;
const DENIED = { clientId: 'reporting', clientSecret: 'denied-secret', canIntrospect: false };
// Characters RFC 6749 Appendix B form-encoding changes: space, '+', ':', '%', non-ASCII.
const ODD = { clientId: 'svc:a+b', clientSecret: 'p@ss word+:%é' };

beforeAll(async () => {
  keys = await generateClientKeyPair('ES256');
  server = await createIdentityServer({
    clients: [DENIED, ODD, { clientId: 'jwt-client', jwks: { keys: [keys.publicJwk] } }],
  });
});
afterAll(() => server.close());

function introspect(params: Record<string, string>, headers?: Record<string, string>) {
  return postForm(server.introspectionEndpoint, params, headers);
}
const bearer = () => ({ authorization: `Bearer ${server.callerToken}` });

describe('introspection contract: 200 answers', () => {
  it('RFC 7662 §2.2: an active token answers 200 with the contract fields and extra claims', async () => {
    const token = server.mintToken({
      sub: 'alice',
      client_id: 'web',
      scope: 'read write',
      brand: 'acme',
      token_type: 'access_token',
      exp: 4_000_000_000,
      extra: { tenant: 't1' },
    });
    const res = await introspect({ token, token_type_hint: 'access_token' }, bearer());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      active: true,
      sub: 'alice',
      client_id: 'web',
      scope: 'read write',
      exp: 4_000_000_000,
      brand: 'acme',
      token_type: 'access_token',
      tenant: 't1',
    });
  });

  it('defaults: sub user-1, client_id client-1, token_type Bearer, exp now + 3600', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await introspect({ token: server.mintToken() }, bearer());
    expect(res.body).toMatchObject({ active: true, sub: 'user-1', client_id: 'client-1' });
    expect(res.body?.token_type).toBe('Bearer');
    expect(res.body).not.toHaveProperty('scope');
    expect(res.body).not.toHaveProperty('brand');
    const exp = res.body?.exp as number;
    expect(exp).toBeGreaterThanOrEqual(before + 3600);
    expect(exp).toBeLessThanOrEqual(before + 3601);
  });

  it('expiresInSec sets exp relative to now', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await introspect({ token: server.mintToken({ expiresInSec: 30 }) }, bearer());
    expect(res.body?.exp).toBeGreaterThanOrEqual(before + 30);
    expect(res.body?.exp).toBeLessThanOrEqual(before + 31);
  });

  it('extra.exp is reported verbatim while the server judges the real exp', async () => {
    const token = server.mintToken({ extra: { exp: 1 } });
    const res = await introspect({ token }, bearer());
    expect(res.body).toMatchObject({ active: true, exp: 1 });
  });

  it.each([
    ['unknown', () => 'never-issued'],
    ['expired', () => server.mintToken({ expiresInSec: -1 })],
    ['not yet valid (nbf)', () => server.mintToken({ nbf: Math.floor(Date.now() / 1000) + 600 })],
    [
      'revoked',
      () => {
        const t = server.mintToken();
        server.revoke(t);
        return t;
      },
    ],
  ])('RFC 7662 §2.2: a %s token answers exactly {active:false}', async (_name, make) => {
    const res = await introspect({ token: make() }, bearer());
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({ active: false });
  });
});

describe('introspection contract: 400 invalid_request', () => {
  it.each([
    ['missing', {}],
    ['empty', { token: '' }],
  ])('a %s token parameter answers 400 in the contract error shape', async (_n, params) => {
    const res = await introspect(params, bearer());
    expect(res.status).toBe(400);
    expect(res.body?.error).toBe('invalid_request');
    expect(typeof res.body?.error_description).toBe('string');
  });

  it('RFC 6749 §3.2: a repeated token parameter answers 400', async () => {
    const params = new URLSearchParams([
      ['token', 'a'],
      ['token', 'b'],
    ]);
    const res = await postForm(server.introspectionEndpoint, params, bearer());
    expect(res.status).toBe(400);
  });

  it('RFC 7662 §2.1: a JSON body is not a form, so the token is missing', async () => {
    const res = await fetch(server.introspectionEndpoint, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ token: server.mintToken() }),
    });
    expect(res.status).toBe(400);
  });

  it('RFC 6749 §2.3: two client authentication methods at once answer 400', async () => {
    const res = await introspect(
      { token: 'x', client_id: server.defaultClient.clientId, client_secret: 'y' },
      bearer(),
    );
    expect(res.status).toBe(400);
    expect(res.body?.error).toBe('invalid_request');
  });
});

describe('introspection contract: 401 invalid_client', () => {
  const cases: [string, () => Promise<Awaited<ReturnType<typeof introspect>>>, string][] = [
    ['no credentials', () => introspect({ token: 'x' }), 'Bearer'],
    [
      'a wrong bearer',
      () => introspect({ token: 'x' }, { authorization: 'Bearer nope' }),
      'Bearer',
    ],
    ['an empty bearer', () => introspect({ token: 'x' }, { authorization: 'Bearer' }), 'Bearer'],
    [
      'basic with a wrong secret',
      () => introspect({ token: 'x' }, { authorization: basic('resource-server', 'wrong') }),
      'Basic',
    ],
    [
      'basic of an unknown client',
      () => introspect({ token: 'x' }, { authorization: basic('ghost', 'x') }),
      'Basic',
    ],
    [
      'basic without a colon',
      () =>
        introspect(
          { token: 'x' },
          { authorization: `Basic ${Buffer.from('x').toString('base64')}` },
        ),
      'Basic',
    ],
    [
      'client_secret_post with a wrong secret',
      () => introspect({ token: 'x', client_id: 'resource-server', client_secret: 'wrong' }),
      'Bearer',
    ],
    [
      'an unsupported scheme',
      () => introspect({ token: 'x' }, { authorization: 'Digest abc' }),
      'Bearer',
    ],
  ];
  it.each(cases)('%s answers 401 with WWW-Authenticate', async (_n, call, scheme) => {
    const res = await call();
    expect(res.status).toBe(401);
    expect(res.body?.error).toBe('invalid_client');
    expect(typeof res.body?.error_description).toBe('string');
    expect(res.headers.get('www-authenticate')).toMatch(new RegExp(`^${scheme} realm="`));
  });

  it('RFC 6749 §2.3.1: a secret sent without form-encoding does not match', async () => {
    const raw = `Basic ${Buffer.from(`${ODD.clientId}:${ODD.clientSecret}`).toString('base64')}`;
    const res = await introspect({ token: 'x' }, { authorization: raw });
    expect(res.status).toBe(401);
  });

  it('authentication is checked before the token parameter (401 before 400)', async () => {
    const res = await introspect({});
    expect(res.status).toBe(401);
  });

  it('the answer never echoes the presented secret', async () => {
    const res = await introspect({ token: 'x' }, { authorization: 'Bearer s3cr3t-value' });
    expect(JSON.stringify(res.body)).not.toContain('s3cr3t-value');
    expect(res.headers.get('www-authenticate')).not.toContain('s3cr3t-value');
  });
});

describe('introspection contract: caller authentication methods', () => {
  it('Bearer with the caller token (the contract example), scheme case-insensitive', async () => {
    const res = await introspect(
      { token: server.mintToken() },
      { authorization: `bEaReR ${server.callerToken}` },
    );
    expect(res.body?.active).toBe(true);
  });

  it('RFC 6749 §2.3.1: client_secret_basic with form-encoded id and secret', async () => {
    const res = await introspect(
      { token: server.mintToken() },
      { authorization: basic(ODD.clientId, ODD.clientSecret) },
    );
    expect(res.status).toBe(200);
    expect(res.body?.active).toBe(true);
  });

  it('RFC 6749 §2.3.1: client_secret_post', async () => {
    const { clientId, clientSecret } = server.defaultClient;
    const res = await introspect({
      token: server.mintToken(),
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(res.body?.active).toBe(true);
  });

  it.each([
    ['the introspection endpoint', () => server.introspectionEndpoint],
    ['the issuer', () => server.issuer],
  ])('RFC 7523 §3: private_key_jwt with aud = %s', async (_n, aud) => {
    const assertion = await clientAssertion(
      keys.privateKey,
      keys.publicJwk.kid,
      'ES256',
      'jwt-client',
      aud(),
    );
    const res = await introspect({
      token: server.mintToken(),
      client_assertion_type: JWT_BEARER,
      client_assertion: assertion,
    });
    expect(res.status).toBe(200);
    expect(res.body?.active).toBe(true);
  });

  it('RFC 7523 §3: a replayed assertion (same jti) answers 401', async () => {
    const assertion = await clientAssertion(
      keys.privateKey,
      keys.publicJwk.kid,
      'ES256',
      'jwt-client',
      server.introspectionEndpoint,
    );
    const params = { token: 'x', client_assertion_type: JWT_BEARER, client_assertion: assertion };
    expect((await introspect(params)).status).toBe(200);
    expect((await introspect(params)).status).toBe(401);
  });

  const other = () => generateClientKeyPair('ES256');
  it.each([
    ['aud is the token endpoint', { aud: () => server.tokenEndpoint }],
    ['jti is missing', { jti: null }],
    ['exp is missing', { exp: null }],
    ['exp is past', { exp: Math.floor(Date.now() / 1000) - 60 }],
    ['iss is another client', { iss: 'resource-server' }],
    ['the key is not registered', { foreignKey: true }],
    ['client_assertion_type is wrong', { type: 'urn:other' }],
  ])('RFC 7523 §3: an assertion whose %s answers 401', async (_n, c) => {
    const signer = 'foreignKey' in c ? (await other()).privateKey : keys.privateKey;
    const overrides: { jti?: null; exp?: number | null; iss?: string } = {};
    if ('jti' in c) overrides.jti = c.jti;
    if ('exp' in c) overrides.exp = c.exp;
    if ('iss' in c) overrides.iss = c.iss;
    const aud = 'aud' in c ? c.aud() : server.introspectionEndpoint;
    const assertion = await clientAssertion(
      signer,
      keys.publicJwk.kid,
      'ES256',
      'jwt-client',
      aud,
      overrides,
    );
    const res = await introspect({
      token: 'x',
      client_assertion_type: 'type' in c ? c.type : JWT_BEARER,
      client_assertion: assertion,
    });
    expect(res.status).toBe(401);
    expect(res.body?.error).toBe('invalid_client');
  });

  it('a non-JWT client_assertion answers 401', async () => {
    const res = await introspect({
      token: 'x',
      client_assertion_type: JWT_BEARER,
      client_assertion: 'garbage',
    });
    expect(res.status).toBe(401);
  });
});

describe('introspection contract: 403', () => {
  it('an authenticated client that may not introspect answers 403 access_denied', async () => {
    const res = await introspect(
      { token: server.mintToken() },
      { authorization: basic(DENIED.clientId, DENIED.clientSecret) },
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ error: 'access_denied' });
    expect(typeof res.body?.error_description).toBe('string');
  });

  it('403 comes before the token check (403 before 400)', async () => {
    const res = await introspect(
      {},
      { authorization: basic(DENIED.clientId, DENIED.clientSecret) },
    );
    expect(res.status).toBe(403);
  });

  it('registerClient can revoke the right to introspect at runtime', async () => {
    server.registerClient({ clientId: 'flip', clientSecret: 'f', canIntrospect: true });
    const call = () => introspect({ token: 'x' }, { authorization: basic('flip', 'f') });
    expect((await call()).status).toBe(200);
    server.registerClient({ clientId: 'flip', clientSecret: 'f', canIntrospect: false });
    expect((await call()).status).toBe(403);
  });
});

describe('RFC 7009 revocation endpoint', () => {
  const auth = () => ({
    authorization: basic('resource-server', server.defaultClient.clientSecret),
  });

  it('§2.1: revoking a token makes introspection answer active:false', async () => {
    const token = server.mintToken();
    const res = await postForm(server.revocationEndpoint, { token }, auth());
    expect(res.status).toBe(200);
    expect((await introspect({ token }, bearer())).body).toEqual({ active: false });
  });

  it('§2.2: an unknown token is answered 200 too', async () => {
    expect((await postForm(server.revocationEndpoint, { token: 'nope' }, auth())).status).toBe(200);
  });

  it('an unauthenticated revocation answers 401 and revokes nothing', async () => {
    const token = server.mintToken();
    const res = await postForm(server.revocationEndpoint, { token });
    expect(res.status).toBe(401);
    expect((await introspect({ token }, bearer())).body?.active).toBe(true);
  });

  it('a missing token answers 400', async () => {
    expect((await postForm(server.revocationEndpoint, {}, auth())).status).toBe(400);
  });
});

describe('HTTP robustness', () => {
  it('an unknown path answers 404 JSON', async () => {
    const res = await fetch(`${server.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect((await json(res)).error).toBe('not_found');
  });

  it('a wrong method answers 405 with Allow', async () => {
    const res = await fetch(server.introspectionEndpoint);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    await res.body?.cancel();
  });

  it('a body over 64 KiB answers 413', async () => {
    const res = await fetch(server.introspectionEndpoint, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${'a'.repeat(70 * 1024)}`,
    });
    expect(res.status).toBe(413);
    await res.body?.cancel();
  });

  it('a malformed HTTP request is answered 400 and the server keeps serving', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write('NOT HTTP AT ALL\r\n\r\n');
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    const res = await introspect({ token: server.mintToken() }, bearer());
    expect(res.body?.active).toBe(true);
  });

  it('non-UTF-8 and percent-garbage bodies never crash the server', async () => {
    for (const body of [Buffer.from([0xff, 0xfe, 0x00]), 'token=%E0%A4%A&%%%', '&&&=']) {
      const res = await fetch(server.introspectionEndpoint, {
        method: 'POST',
        headers: { ...bearer(), 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      expect([200, 400]).toContain(res.status);
      await res.body?.cancel();
    }
    expect((await introspect({ token: server.mintToken() }, bearer())).status).toBe(200);
  });

  it('counts introspection calls and resets the counters', async () => {
    server.resetCalls();
    await introspect({ token: 'a' }, bearer());
    await introspect({ token: 'b' });
    expect(server.calls.introspect).toBe(2);
    server.resetCalls();
    expect(server.calls).toMatchObject({ introspect: 0, token: 0, revoke: 0 });
  });
});
