/**
 * What oidc-provider actually does on the wire, checked with plain fetch and node:crypto
 * (no tokenguard code). These facts are what the guard must tolerate; each one is written
 * summed up in the README's "Compatibility" table. If an oidc-provider upgrade changes one of
 * them, this file fails first and says which.
 */
import { createPublicKey, type JsonWebKey, verify } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuthorization,
  type ProviderClientCredentials,
  type StartedOidcProvider,
  startOidcProvider,
} from './start-oidc-provider.js';

let op: StartedOidcProvider;

beforeAll(async () => {
  op = await startOidcProvider({ shortTtlSec: 1 });
});

afterAll(async () => {
  await op?.close();
});

const form = { 'content-type': 'application/x-www-form-urlencoded' };

function introspect(token: string, headers: Record<string, string>, extra = {}) {
  return fetch(op.introspectionEndpoint, {
    method: 'POST',
    headers: { ...form, ...headers },
    body: new URLSearchParams({ token, token_type_hint: 'access_token', ...extra }),
  });
}

function introspectAs(client: ProviderClientCredentials, token: string) {
  return introspect(token, { authorization: basicAuthorization(client) });
}

function decodeSegment(segment: string | undefined): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment ?? '', 'base64url').toString('utf8'));
}

describe('oidc-provider metadata', () => {
  it.each(['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'])(
    'RFC 8414 §3 / OIDC Discovery §4: %s lists the endpoints a resource server needs',
    async (path) => {
      const response = await fetch(`${op.issuer}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      const metadata = (await response.json()) as Record<string, unknown>;
      expect(metadata).toMatchObject({
        issuer: op.issuer,
        token_endpoint: op.tokenEndpoint,
        introspection_endpoint: op.introspectionEndpoint,
        revocation_endpoint: op.revocationEndpoint,
        jwks_uri: op.jwksUri,
      });
      // RFC 8414 §2: omitted means client_secret_basic only; oidc-provider omits it although
      // it accepts client_secret_post too (see the introspection tests below).
      expect(metadata).not.toHaveProperty('introspection_endpoint_auth_methods_supported');
      expect(op.issuer.endsWith('/')).toBe(false);
    },
  );

  it('RFC 7517 §8.5: the JWKS is served as application/jwk-set+json', async () => {
    const response = await fetch(op.jwksUri);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/jwk-set+json; charset=utf-8');
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });
});

describe('oidc-provider opaque tokens and introspection', () => {
  it('RFC 6749 §4.4: client_credentials without a resource yields an opaque Bearer token', async () => {
    const issued = await op.issueToken({ scope: 'read write' });
    expect(issued.token_type).toBe('Bearer');
    expect(issued.expires_in).toBe(300);
    expect(issued.scope).toBe('read write');
    expect(issued.access_token.split('.')).toHaveLength(1);
  });

  it('RFC 7662 §2.2: client_secret_basic introspection answers active with brand and scope', async () => {
    const issued = await op.issueToken({ scope: 'read write' });
    const response = await introspectAs(op.resourceServer, issued.access_token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      active: true,
      brand: 'acme',
      client_id: op.acme.clientId,
      scope: 'read write',
      token_type: 'Bearer',
      iss: op.issuer,
      exp: expect.any(Number),
      iat: expect.any(Number),
    });
    // No `sub` for a client_credentials token, no `aud` without a resource indicator.
    expect(body).not.toHaveProperty('sub');
    expect(body).not.toHaveProperty('aud');
    expect(body.exp).toBe((body.iat as number) + 300);
  });

  it('RFC 7662 §2.2: a token issued for a resource carries that resource as a string aud', async () => {
    const issued = await op.issueToken({ scope: 'read admin', resource: op.opaqueResource });
    expect(issued.access_token.split('.')).toHaveLength(1);
    const body = (await (
      await introspectAs(op.resourceServer, issued.access_token)
    ).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ active: true, aud: op.opaqueResource, scope: 'read admin' });
  });

  it('RFC 6749 §2.3.1: client_secret_post is accepted for a client registered with basic', async () => {
    const issued = await op.issueToken({ scope: 'read' });
    const response = await introspect(
      issued.access_token,
      {},
      { client_id: op.resourceServer.clientId, client_secret: op.resourceServer.clientSecret },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ active: true, brand: 'acme' });
  });

  it('RFC 6749 §2.3.1: Basic credentials are form-decoded, so an unencoded secret is refused', async () => {
    const issued = await op.issueToken({ scope: 'read' });
    const raw = `${op.resourceServer.clientId}:${op.resourceServer.clientSecret}`;
    const response = await introspect(issued.access_token, {
      authorization: `Basic ${Buffer.from(raw).toString('base64')}`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('RFC 7662 §2.1: Bearer authentication (the contract example) is refused with 400 invalid_request', async () => {
    // oidc-provider authenticates introspection callers as clients only; an Authorization
    // header whose scheme is not Basic is a malformed request to it, whatever the token.
    const callerToken = await op.issueToken({ scope: 'read' });
    const issued = await op.issueToken({ scope: 'read' });
    const response = await introspect(issued.access_token, {
      authorization: `Bearer ${callerToken.access_token}`,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: 'invalid_request',
      error_description: 'invalid authorization header value format',
    });
  });

  it('RFC 7662 §2.1: a wrong client secret is 401 invalid_client with a Basic challenge', async () => {
    const issued = await op.issueToken({ scope: 'read' });
    const response = await introspectAs(
      { clientId: op.resourceServer.clientId, clientSecret: 'wrong' },
      issued.access_token,
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('RFC 7662 §2.2: a token it never issued is 200 {"active":false}', async () => {
    const response = await introspectAs(
      op.resourceServer,
      'never-issued-by-this-provider-0123456789',
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ active: false });
  });

  it('RFC 7662 §2.2: a JWS-shaped token is 400 unsupported_token_type, not active:false', async () => {
    // Anyone can craft this (alg none, empty signature): it never reaches token lookup.
    const forged = `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`;
    const response = await introspectAs(op.resourceServer, forged);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_token_type' });
  });

  it('RFC 7662 §2.1: only form bodies are accepted', async () => {
    const issued = await op.issueToken({ scope: 'read' });
    const response = await fetch(op.introspectionEndpoint, {
      method: 'POST',
      headers: {
        authorization: basicAuthorization(op.resourceServer),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ token: issued.access_token }),
    });
    expect(response.status).toBe(400);
  });

  it('RFC 7009 §2.2: a revoked token introspects as {"active":false}', async () => {
    const issued = await op.issueToken({ scope: 'read' });
    expect(await (await introspectAs(op.resourceServer, issued.access_token)).json()).toMatchObject(
      {
        active: true,
      },
    );
    await op.revoke(issued.access_token, op.acme);
    expect(await (await introspectAs(op.resourceServer, issued.access_token)).json()).toEqual({
      active: false,
    });
  });

  it('RFC 7009 §2.1: revocation by another client answers 200 but leaves the token active', async () => {
    const issued = await op.issueToken({ scope: 'read' });
    await op.revoke(issued.access_token, op.resourceServer);
    expect(await (await introspectAs(op.resourceServer, issued.access_token)).json()).toMatchObject(
      {
        active: true,
      },
    );
  });

  it('RFC 7662 §2.2: an expired token introspects as {"active":false}, not active with a past exp', async () => {
    const issued = await op.issueToken({ client: op.shortLived, scope: 'read' });
    expect(issued.expires_in).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const response = await introspectAs(op.resourceServer, issued.access_token);
    expect(await response.json()).toEqual({ active: false });
  });

  it('RFC 7662 §4: a client may introspect only its own tokens under this provider policy', async () => {
    const issued = await op.issueToken({ scope: 'read' });
    const response = await introspectAs(op.globex, issued.access_token);
    expect(await response.json()).toEqual({ active: false });
  });
});

describe('oidc-provider JWT access tokens (RFC 9068)', () => {
  it('RFC 9068 §2: header and claims of a client_credentials JWT access token', async () => {
    const issued = await op.issueToken({ scope: 'read write', resource: op.jwtResource });
    expect(issued.token_type).toBe('Bearer');
    const [header, payload, signature] = issued.access_token.split('.');
    expect(signature).toBeTruthy();
    const protectedHeader = decodeSegment(header);
    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    const claims = decodeSegment(payload);
    expect(claims).toEqual({
      iss: op.issuer,
      aud: op.jwtResource,
      sub: op.acme.clientId,
      client_id: op.acme.clientId,
      scope: 'read write',
      brand: 'acme',
      jti: expect.any(String),
      iat: expect.any(Number),
      exp: (claims.iat as number) + 300,
    });
    // `scope` is a space-separated string (RFC 9068 §2.2.3), never an `scp` list, and no nbf.
    expect(claims).not.toHaveProperty('scp');
    expect(claims).not.toHaveProperty('nbf');
  });

  it('RFC 7515 §5.2: the JWT verifies against the key its kid names in jwks_uri', async () => {
    const issued = await op.issueToken({ scope: 'read', resource: op.jwtResource });
    const [header, payload, signature] = issued.access_token.split('.');
    const { kid } = decodeSegment(header);
    const jwks = (await (await fetch(op.jwksUri)).json()) as { keys: JsonWebKey[] };
    const jwk = jwks.keys.find((key) => key.kid === kid);
    expect(jwk).toBeDefined();
    const key = createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' });
    const signingInput = Buffer.from(`${header}.${payload}`);
    const valid = verify(
      'RSA-SHA256',
      signingInput,
      key,
      Buffer.from(signature ?? '', 'base64url'),
    );
    expect(valid).toBe(true);
    const tampered = Buffer.from(`${header}.${payload}x`);
    expect(verify('RSA-SHA256', tampered, key, Buffer.from(signature ?? '', 'base64url'))).toBe(
      false,
    );
  });

  it('RFC 7662 §2.1: its own JWT access tokens cannot be introspected (400 unsupported_token_type)', async () => {
    const issued = await op.issueToken({ scope: 'read', resource: op.jwtResource });
    const response = await introspectAs(op.resourceServer, issued.access_token);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_token_type' });
  });

  it('RFC 7009 §2.2.1: its JWT access tokens cannot be revoked (400 unsupported_token_type)', async () => {
    const issued = await op.issueToken({ scope: 'read', resource: op.jwtResource });
    const response = await fetch(op.revocationEndpoint, {
      method: 'POST',
      headers: { ...form, authorization: basicAuthorization(op.acme) },
      body: new URLSearchParams({ token: issued.access_token }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_token_type' });
  });

  it('RFC 8707 §2: an unknown resource indicator is refused with invalid_target', async () => {
    await expect(op.issueToken({ resource: 'https://unknown.example.test/' })).rejects.toThrow(
      /400 invalid_target/,
    );
  });

  it('the provider reported no internal errors during these exchanges', () => {
    expect(op.serverErrors).toEqual([]);
  });
});
