import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAEP_SESSION_REVOKED, createIdentityServer, type IdentityServer } from '../src/index.js';

let idp: IdentityServer;
beforeAll(async () => {
  idp = await createIdentityServer();
});
afterAll(() => idp.close());

const options = {
  audience: 'https://api.example/ssf',
  events: { [CAEP_SESSION_REVOKED]: { event_timestamp: 1 } },
  subject: { format: 'iss_sub', iss: 'https://id.example', sub: 'user-1' },
};

describe('the identity server as a Shared Signals transmitter', () => {
  it('RFC 8417: mints a SET typed secevent+jwt, signed with a key of its JWKS', async () => {
    const set = await idp.mintSecurityEvent(options);
    expect(decodeProtectedHeader(set)).toMatchObject({ typ: 'secevent+jwt', alg: 'RS256' });
    const { payload } = await jwtVerify(set, createLocalJWKSet(idp.jwks()), {
      issuer: idp.issuer,
      audience: options.audience,
      typ: 'secevent+jwt',
    });
    expect(payload).toMatchObject({ events: options.events, sub_id: options.subject });
    expect(typeof payload.jti).toBe('string');
    expect(typeof payload.iat).toBe('number');
  });

  it('signWith attacker keeps the real kid but no published key verifies it', async () => {
    const set = await idp.mintSecurityEvent({ ...options, signWith: 'attacker' });
    expect(decodeProtectedHeader(set).kid).toBe(idp.currentKid());
    await expect(jwtVerify(set, createLocalJWKSet(idp.jwks()))).rejects.toThrow();
  });

  it('RFC 8935 §2: pushes with POST and application/secevent+jwt, reporting the answer', async () => {
    let seen: { method?: string; headers?: IncomingHttpHeaders; body?: string } = {};
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        seen = { method: req.method, headers: req.headers, body };
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{"err":"invalid_audience","description":"x"}');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const { port } = receiver.address() as AddressInfo;
    try {
      const result = await idp.pushSecurityEvent(`http://127.0.0.1:${port}/ssf`, options, {
        authorization: 'Bearer t',
      });
      expect(result.status).toBe(400);
      expect(result.body).toEqual({ err: 'invalid_audience', description: 'x' });
      expect(seen.method).toBe('POST');
      expect(seen.headers?.['content-type']).toBe('application/secevent+jwt');
      expect(seen.headers?.authorization).toBe('Bearer t');
      expect(seen.body?.split('.')).toHaveLength(3);
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('serves OpenID SSF transmitter metadata naming its JWKS and RFC 8935 push delivery', async () => {
    const response = await fetch(idp.ssfConfigurationUri);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      issuer: idp.issuer,
      jwks_uri: idp.jwksUri,
      delivery_methods_supported: ['urn:ietf:rfc:8935'],
    });
    expect(idp.calls.ssfConfiguration).toBe(1);
  });
});
