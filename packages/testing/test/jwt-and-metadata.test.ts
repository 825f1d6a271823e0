import {
  type BadJwtKind,
  createIdentityServer,
  generateClientKeyPair,
  type IdentityServer,
  type JwtAlgorithm,
  UNKNOWN_CRIT_PARAMETER,
  WRONG_AUDIENCE,
  WRONG_ISSUER,
} from '@tokenguard/testing';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  EmbeddedJWK,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, postForm } from './helpers.js';

let server: IdentityServer;

beforeAll(async () => {
  server = await createIdentityServer();
});
afterAll(() => server.close());

const STRICT: JWTVerifyOptions = {
  audience: 'api',
  typ: 'at+jwt',
  algorithms: ['RS256', 'ES256', 'EdDSA'],
  requiredClaims: ['exp', 'iat'],
  maxTokenAge: '1h',
};

/** Verify like a strict RFC 9068 resource server, against the served JWKS. */
function verifyStrict(token: string, relax: Partial<JWTVerifyOptions> = {}) {
  const jwks = createRemoteJWKSet(new URL(server.jwksUri));
  return jwtVerify(token, jwks, { issuer: server.issuer, ...STRICT, ...relax });
}

function introspect(token: string) {
  return postForm(
    server.introspectionEndpoint,
    { token },
    { authorization: `Bearer ${server.callerToken}` },
  );
}

describe('RFC 8414 metadata', () => {
  it.each([
    ['/.well-known/oauth-authorization-server', 'oauthMetadata'],
    ['/.well-known/openid-configuration', 'openidMetadata'],
  ] as const)('%s lists the endpoints and auth methods', async (path, counter) => {
    server.resetCalls();
    const res = await fetch(`${server.url}${path}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = await json(res);
    expect(doc).toMatchObject({
      issuer: server.url,
      introspection_endpoint: `${server.url}/v1/oauth/introspect`,
      token_endpoint: `${server.url}/oauth/token`,
      revocation_endpoint: `${server.url}/oauth/revoke`,
      jwks_uri: `${server.url}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
    });
    for (const field of [
      'token_endpoint_auth_methods_supported',
      'introspection_endpoint_auth_methods_supported',
    ]) {
      expect(doc[field]).toEqual(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);
    }
    expect(server.calls[counter]).toBe(1);
  });

  it('the issuer can be set wrong on purpose and documents can be switched off (404)', async () => {
    const odd = await createIdentityServer({
      issuer: 'https://elsewhere.example',
      metadata: { oauth: false },
      jwtAlgorithms: ['ES256'],
    });
    try {
      expect(odd.issuer).toBe('https://elsewhere.example');
      expect((await fetch(`${odd.url}/.well-known/oauth-authorization-server`)).status).toBe(404);
      const doc = await json(await fetch(`${odd.url}/.well-known/openid-configuration`));
      expect(doc.issuer).toBe('https://elsewhere.example');
      expect(doc.introspection_endpoint).toBe(odd.introspectionEndpoint);
      const jwt = await odd.mintJwt({}, { alg: 'ES256' });
      expect(decodeJwt(jwt).iss).toBe('https://elsewhere.example');
    } finally {
      await odd.close();
    }
  });
});

describe('JWKS', () => {
  it('serves one public signing key per algorithm, with kid, alg and use', async () => {
    server.resetCalls();
    const res = await fetch(server.jwksUri);
    expect(res.status).toBe(200);
    const { keys } = (await res.json()) as { keys: { alg: string }[] };
    expect(keys.map((k: { alg: string }) => k.alg).sort()).toEqual(['ES256', 'EdDSA', 'RS256']);
    for (const key of keys) {
      expect(key).toMatchObject({ use: 'sig', kid: expect.any(String) });
      // Only public members: no private exponent or scalar may leak.
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
        expect(key).not.toHaveProperty(member);
    }
    expect(server.calls.jwks).toBe(1);
  });

  it('jwtAlgorithms limits the generated keys; minting another alg throws', async () => {
    const only = await createIdentityServer({ jwtAlgorithms: ['EdDSA'] });
    try {
      expect(only.jwks().keys.map((k) => k.alg)).toEqual(['EdDSA']);
      await expect(only.mintJwt({}, { alg: 'RS256' })).rejects.toThrow(TypeError);
    } finally {
      await only.close();
    }
  });
});

describe('RFC 9068 JWT access tokens', () => {
  it.each<JwtAlgorithm>(['RS256', 'ES256', 'EdDSA'])(
    '%s: verifies against the JWKS with typ at+jwt',
    async (alg) => {
      const token = await server.mintJwt(
        { sub: 'carol', scope: 'read', brand: 'acme', extra: { tenant: 't9' } },
        { alg },
      );
      const { payload, protectedHeader } = await verifyStrict(token);
      expect(protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: server.currentKid(alg) });
      expect(payload).toMatchObject({
        iss: server.issuer,
        aud: 'api',
        sub: 'carol',
        client_id: 'client-1',
        scope: 'read',
        brand: 'acme',
        tenant: 't9',
      });
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload.exp! - payload.iat!).toBe(3600);
    },
  );

  it('claims and header overrides are applied; introspection knows the JWT', async () => {
    const token = await server.mintJwt(
      { aud: ['a', 'b'], iss: 'https://other', client_id: 'cli', custom: 1 },
      { expiresInSec: 60, header: { typ: 'application/at+jwt', cty: 'x' } },
    );
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ typ: 'application/at+jwt', cty: 'x', alg: 'RS256' });
    const payload = decodeJwt(token);
    expect(payload).toMatchObject({ aud: ['a', 'b'], iss: 'https://other', custom: 1 });
    expect(payload.exp! - payload.iat!).toBe(60);
    const res = await introspect(token);
    expect(res.body).toMatchObject({ active: true, client_id: 'cli', token_type: 'Bearer' });
  });

  it('a revoked JWT introspects as inactive (its signature stays valid)', async () => {
    const token = await server.mintJwt();
    server.revoke(token);
    expect((await introspect(token)).body).toEqual({ active: false });
    await expect(verifyStrict(token)).resolves.toBeDefined();
  });

  it("rotateKeys (no RS256 key: returns the first algorithm's kid): new kid signs new tokens; the old kid stays in the JWKS until retired", async () => {
    const local = await createIdentityServer({ jwtAlgorithms: ['ES256', 'EdDSA'] });
    try {
      const oldKid = local.currentKid('ES256');
      const oldToken = await local.mintJwt({}, { alg: 'ES256' });
      const newKid = await local.rotateKeys();
      expect(newKid).not.toBe(oldKid);
      expect(local.currentKid('ES256')).toBe(newKid);
      const kids = ((await json(await fetch(local.jwksUri))).keys as { kid: string }[]).map(
        (k: { kid: string }) => k.kid,
      );
      expect(kids).toEqual(expect.arrayContaining([oldKid, newKid]));
      expect(kids).toHaveLength(4);
      const newToken = await local.mintJwt({}, { alg: 'ES256' });
      expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
      const jwks = createRemoteJWKSet(new URL(local.jwksUri));
      const opts = { issuer: local.issuer, audience: 'api' };
      await expect(jwtVerify(oldToken, jwks, opts)).resolves.toBeDefined();
      await expect(jwtVerify(newToken, jwks, opts)).resolves.toBeDefined();
      local.retireOldKeys();
      expect(local.jwks().keys.map((k) => k.kid)).not.toContain(oldKid);
      const fresh = createLocalJWKSet(local.jwks());
      await expect(jwtVerify(oldToken, fresh, opts)).rejects.toMatchObject({
        code: 'ERR_JWKS_NO_MATCHING_KEY',
      });
    } finally {
      await local.close();
    }
  });

  it('rotateKeys returns the new RS256 kid when RS256 is configured', async () => {
    const before = server.currentKid('RS256');
    const kid = await server.rotateKeys();
    expect(kid).toBe(server.currentKid('RS256'));
    expect(kid).not.toBe(before);
    expect(decodeProtectedHeader(await server.mintJwt()).kid).toBe(kid);
  });

  it('publicKey() is the key the current kid verifies with', async () => {
    const token = await server.mintJwt({}, { alg: 'ES256' });
    await expect(
      jwtVerify(token, server.publicKey('ES256'), { issuer: server.issuer, audience: 'api' }),
    ).resolves.toBeDefined();
  });
});

describe('bad JWTs are bad in exactly the way named', () => {
  const now = () => Math.floor(Date.now() / 1000);
  const cases: Record<BadJwtKind, (token: string) => Promise<void>> = {
    'wrong-key': async (t) => {
      expect(decodeProtectedHeader(t).kid).toBe(server.currentKid());
      await expect(verifyStrict(t)).rejects.toMatchObject({
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    },
    'alg-none': async (t) => {
      expect(decodeProtectedHeader(t).alg).toBe('none');
      expect(t.endsWith('.')).toBe(true);
      await expect(verifyStrict(t)).rejects.toThrow();
    },
    'hs256-with-public-key': async (t) => {
      expect(decodeProtectedHeader(t)).toMatchObject({ alg: 'HS256', kid: server.currentKid() });
      await expect(verifyStrict(t)).rejects.toThrow();
      // A verifier that keys HMAC with the public PEM would accept it: that is the attack.
      const pem = server.publicKey().export({ type: 'spki', format: 'pem' }) as string;
      await expect(
        jwtVerify(t, new TextEncoder().encode(pem), { issuer: server.issuer, audience: 'api' }),
      ).resolves.toBeDefined();
    },
    expired: async (t) => {
      expect(decodeJwt(t).exp).toBeLessThan(now());
      await expect(verifyStrict(t)).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
    },
    'future-nbf': async (t) => {
      expect(decodeJwt(t).nbf).toBeGreaterThan(now());
      await expect(verifyStrict(t)).rejects.toMatchObject({ claim: 'nbf' });
    },
    'future-iat': async (t) => {
      expect(decodeJwt(t).iat).toBeGreaterThan(now());
      await expect(verifyStrict(t)).rejects.toMatchObject({ claim: 'iat' });
    },
    'wrong-iss': async (t) => {
      expect(decodeJwt(t).iss).toBe(WRONG_ISSUER);
      await expect(verifyStrict(t)).rejects.toMatchObject({ claim: 'iss' });
      await expect(verifyStrict(t, { issuer: WRONG_ISSUER })).resolves.toBeDefined();
    },
    'wrong-aud': async (t) => {
      expect(decodeJwt(t).aud).toBe(WRONG_AUDIENCE);
      await expect(verifyStrict(t)).rejects.toMatchObject({ claim: 'aud' });
      await expect(verifyStrict(t, { audience: WRONG_AUDIENCE })).resolves.toBeDefined();
    },
    'wrong-typ': async (t) => {
      expect(decodeProtectedHeader(t).typ).toBe('JWT');
      await expect(verifyStrict(t)).rejects.toMatchObject({ claim: 'typ' });
      await expect(verifyStrict(t, { typ: 'JWT' })).resolves.toBeDefined();
    },
    'missing-typ': async (t) => {
      expect(decodeProtectedHeader(t)).not.toHaveProperty('typ');
      await expect(verifyStrict(t)).rejects.toMatchObject({ claim: 'typ' });
      await expect(verifyStrict(t, { typ: undefined })).resolves.toBeDefined();
    },
    'unknown-kid': async (t) => {
      const kid = decodeProtectedHeader(t).kid;
      expect(server.jwks().keys.map((k) => k.kid)).not.toContain(kid);
      await expect(verifyStrict(t)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    },
    'jku-header': async (t) => {
      const { jku } = decodeProtectedHeader(t);
      expect(jku).toBe(`${server.url}/attacker/jwks.json`);
      await expect(verifyStrict(t)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
      // A verifier that followed jku would fetch the attacker's key and accept the token.
      server.resetCalls();
      const attackerKeys = createRemoteJWKSet(new URL(jku!));
      await expect(
        jwtVerify(t, attackerKeys, { issuer: server.issuer, ...STRICT }),
      ).resolves.toBeDefined();
      expect(server.calls.attacker).toBe(1);
    },
    'embedded-jwk': async (t) => {
      expect(decodeProtectedHeader(t).jwk).toMatchObject({ kty: expect.any(String) });
      await expect(verifyStrict(t)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
      // A verifier that trusted the embedded key would accept it.
      await expect(
        jwtVerify(t, EmbeddedJWK, { issuer: server.issuer, ...STRICT }),
      ).resolves.toBeDefined();
    },
    'x5u-header': async (t) => {
      expect(decodeProtectedHeader(t).x5u).toBe(`${server.url}/attacker/cert.pem`);
      await expect(verifyStrict(t)).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
    },
    'crit-header': async (t) => {
      expect(decodeProtectedHeader(t).crit).toEqual([UNKNOWN_CRIT_PARAMETER]);
      // RFC 7515 §4.1.11: an unrecognised critical extension must be rejected.
      await expect(verifyStrict(t)).rejects.toMatchObject({ code: 'ERR_JOSE_NOT_SUPPORTED' });
      await expect(
        verifyStrict(t, { crit: { [UNKNOWN_CRIT_PARAMETER]: true } }),
      ).resolves.toBeDefined();
    },
    'tampered-payload': async (t) => {
      expect(decodeJwt(t)).toMatchObject({ sub: 'admin', scope: 'admin' });
      await expect(verifyStrict(t)).rejects.toMatchObject({
        code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      });
    },
    'missing-exp': async (t) => {
      expect(decodeJwt(t)).not.toHaveProperty('exp');
      await expect(verifyStrict(t)).rejects.toMatchObject({ claim: 'exp' });
      await expect(verifyStrict(t, { requiredClaims: ['iat'] })).resolves.toBeDefined();
    },
  };

  it.each(Object.keys(cases) as BadJwtKind[])('%s', async (kind) => {
    const token = await server.mintBadJwt(kind, { scope: 'read' });
    await cases[kind](token);
    // Bad tokens are never known to introspection either.
    expect((await introspect(token)).body).toEqual({ active: false });
  });

  it('an unknown kind throws a TypeError', async () => {
    await expect(server.mintBadJwt('nope' as BadJwtKind)).rejects.toThrow(TypeError);
  });
});

describe('generateClientKeyPair', () => {
  it.each<JwtAlgorithm>(['RS256', 'ES256', 'EdDSA'])(
    '%s: a private KeyObject and a public JWK with kid and alg',
    async (alg) => {
      const { privateKey, publicJwk } = await generateClientKeyPair(alg);
      expect(privateKey.type).toBe('private');
      expect(publicJwk).toMatchObject({ alg, kid: expect.any(String), use: 'sig' });
      expect(publicJwk).not.toHaveProperty('d');
    },
  );
});
