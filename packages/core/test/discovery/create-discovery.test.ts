import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDiscovery, metadataLocations } from '../../src/discovery/create-discovery.js';
import { TokenGuardConfigError, UpstreamUnavailableError } from '../../src/errors.js';
import { createHttpClient, type HttpClient } from '../../src/internal/http-client.js';
import { createJwtVerifier } from '../../src/jwt/create-jwt-verifier.js';
import { normalizeJwtOptions } from '../../src/jwt/normalize-jwt-options.js';

let idp: IdentityServer;
let http: HttpClient;

beforeAll(async () => {
  idp = await createIdentityServer();
  http = createHttpClient({ timeoutMs: 2000, maxResponseBytes: 65_536 });
});
afterAll(async () => {
  await http.close();
  await idp.close();
});
afterEach(() => {
  vi.useRealTimers();
  idp.clearFaults();
  idp.resetCalls();
});

function discover(issuer: string, retryAfterFailureMs?: number) {
  return createDiscovery({ issuer, http, allowInsecureHttp: true, retryAfterFailureMs });
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: unknown) => error,
  );
}

/** A bare loopback server answering fixed JSON documents by path, for issuers with a path. */
async function documentServer(documents: (base: string) => Record<string, unknown>) {
  let base = '';
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.push(path);
    const document = documents(base)[path];
    if (document === undefined) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    hits,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('metadataLocations', () => {
  it.each([
    [
      'https://id.example',
      'https://id.example/.well-known/oauth-authorization-server',
      'https://id.example/.well-known/openid-configuration',
    ],
    [
      'https://id.example/',
      'https://id.example/.well-known/oauth-authorization-server',
      'https://id.example/.well-known/openid-configuration',
    ],
    [
      'https://id.example/tenant/a',
      'https://id.example/.well-known/oauth-authorization-server/tenant/a',
      'https://id.example/tenant/a/.well-known/openid-configuration',
    ],
    [
      'https://id.example/tenant/',
      'https://id.example/.well-known/oauth-authorization-server/tenant',
      'https://id.example/tenant/.well-known/openid-configuration',
    ],
  ])('RFC 8414 §3.1 / OIDC Discovery §4: %s', (issuer, oauth, openid) => {
    const [first, second] = metadataLocations(new URL(issuer));
    expect(first.href).toBe(oauth);
    expect(second.href).toBe(openid);
  });
});

describe('createDiscovery: issuer validation at construction', () => {
  it.each([
    ['not a URL', 'id.example'],
    ['RFC 8414 §2: a query', 'https://id.example/?tenant=a'],
    ['RFC 8414 §2: a fragment', 'https://id.example/#a'],
    ['plain http without allowInsecureHttp', 'http://id.example'],
  ])('%s → config error on `issuer`', (_name, issuer) => {
    expect(() => createDiscovery({ issuer, http, allowInsecureHttp: false })).toThrow(
      TokenGuardConfigError,
    );
    expect(() => createDiscovery({ issuer, http, allowInsecureHttp: false })).toThrow(
      expect.objectContaining({ option: 'issuer' }),
    );
  });

  it('is lazy: nothing is fetched before metadata() is called', () => {
    discover(idp.issuer);
    expect(idp.calls.oauthMetadata + idp.calls.openidMetadata).toBe(0);
  });
});

describe('createDiscovery: RFC 8414 metadata', () => {
  it('RFC 8414 §3: takes introspection_endpoint, jwks_uri and token_endpoint; cached after success', async () => {
    const discovery = discover(idp.issuer);
    const metadata = await discovery.metadata();
    expect(metadata).toMatchObject({
      issuer: idp.issuer,
      introspection_endpoint: idp.introspectionEndpoint,
      jwks_uri: idp.jwksUri,
      token_endpoint: idp.tokenEndpoint,
    });
    await discovery.metadata();
    expect(idp.calls.oauthMetadata).toBe(1);
    expect(idp.calls.openidMetadata).toBe(0);
  });

  it('concurrent callers share one in-flight fetch', async () => {
    const discovery = discover(idp.issuer);
    const all = await Promise.all(Array.from({ length: 100 }, () => discovery.metadata()));
    expect(new Set(all).size).toBe(1);
    expect(idp.calls.oauthMetadata).toBe(1);
  });

  it('OIDC Discovery §4: falls back to openid-configuration when RFC 8414 metadata is absent (404)', async () => {
    const oidcOnly = await createIdentityServer({
      metadata: { oauth: false },
      jwtAlgorithms: ['ES256'],
    });
    try {
      const metadata = await createDiscovery({
        issuer: oidcOnly.issuer,
        http,
        allowInsecureHttp: true,
      }).metadata();
      expect(metadata.jwks_uri).toBe(oidcOnly.jwksUri);
      expect(oidcOnly.calls.oauthMetadata).toBe(1);
      expect(oidcOnly.calls.openidMetadata).toBe(1);
    } finally {
      await oidcOnly.close();
    }
  });

  it('neither document published → 503', async () => {
    const none = await createIdentityServer({
      metadata: { oauth: false, openid: false },
      jwtAlgorithms: ['ES256'],
    });
    try {
      const error = await refusal(
        createDiscovery({ issuer: none.issuer, http, allowInsecureHttp: true }).metadata(),
      );
      expect(error).toBeInstanceOf(UpstreamUnavailableError);
    } finally {
      await none.close();
    }
  });

  it('RFC 8414 §3.3: an issuer mismatch is a config error naming `issuer`, held briefly (no refetch)', async () => {
    const wrong = await createIdentityServer({ issuer: 'http://wrong', jwtAlgorithms: ['ES256'] });
    try {
      const discovery = createDiscovery({ issuer: wrong.url, http, allowInsecureHttp: true });
      const error = await refusal(discovery.metadata());
      expect(error).toBeInstanceOf(TokenGuardConfigError);
      expect(error).toMatchObject({ option: 'issuer', code: 'invalid_option' });
      expect(await refusal(discovery.metadata())).toBe(error);
      expect(wrong.calls.oauthMetadata).toBe(1);
    } finally {
      await wrong.close();
    }
  });

  it('an issuer mismatch is retried with a doubling backoff, not cached for the guard’s life', async () => {
    const wrong = await createIdentityServer({ issuer: 'http://wrong', jwtAlgorithms: ['ES256'] });
    try {
      const discovery = createDiscovery({
        issuer: wrong.url,
        http,
        allowInsecureHttp: true,
        retryAfterFailureMs: 200,
      });
      await refusal(discovery.metadata());
      expect(wrong.calls.oauthMetadata).toBe(1);
      await new Promise((r) => setTimeout(r, 250));
      await refusal(discovery.metadata()); // retried after 200 ms
      expect(wrong.calls.oauthMetadata).toBe(2);
      await new Promise((r) => setTimeout(r, 250));
      await refusal(discovery.metadata()); // now held for 400 ms
      expect(wrong.calls.oauthMetadata).toBe(2);
    } finally {
      await wrong.close();
    }
  });

  it('the mismatch message quotes a short, single-line, printable excerpt', async () => {
    const issuer = `http://evil\n[tokenguard] forged line ${'x'.repeat(300)}`;
    const wrong = await createIdentityServer({ issuer, jwtAlgorithms: ['ES256'] });
    try {
      const discovery = createDiscovery({ issuer: wrong.url, http, allowInsecureHttp: true });
      const error = (await refusal(discovery.metadata())) as Error;
      expect(error.message).not.toMatch(/[\n\r]/);
      expect(error.message).not.toContain('x'.repeat(61));
      expect(error.message).toContain('http://evil?[tokenguard] forged line');
    } finally {
      await wrong.close();
    }
  });

  it('RFC 8414 §3.3: the comparison is exact (a trailing slash is a different issuer)', async () => {
    const error = await refusal(discover(`${idp.issuer}/`).metadata());
    expect(error).toMatchObject({ option: 'issuer' });
  });

  it('a 5xx from the RFC 8414 endpoint is an outage, not a reason to fall back', async () => {
    idp.injectFault('metadata', { kind: 'status', status: 500 }, 1);
    const error = await refusal(discover(idp.issuer).metadata());
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'temporarily_unavailable' });
    expect(idp.calls.openidMetadata).toBe(0);
  });

  it.each([
    ['invalid JSON', { kind: 'non-json' } as const],
    ['an HTML page', { kind: 'html' } as const],
    ['a redirect (never followed)', { kind: 'redirect', location: 'http://127.0.0.1:9/' } as const],
    ['a reset connection', { kind: 'reset' } as const],
  ])('metadata answering %s → 503', async (_name, fault) => {
    idp.injectFault('metadata', fault, 1);
    expect(await refusal(discover(idp.issuer).metadata())).toBeInstanceOf(UpstreamUnavailableError);
  });

  it('a failure is remembered only for retryAfterFailureMs, then retried', async () => {
    let now = Date.now();
    vi.setSystemTime(now);
    const discovery = discover(idp.issuer);
    idp.injectFault('metadata', { kind: 'status', status: 503 }, 1);
    expect(await refusal(discovery.metadata())).toBeInstanceOf(UpstreamUnavailableError);
    expect(await refusal(discovery.metadata())).toBeInstanceOf(UpstreamUnavailableError);
    expect(idp.calls.oauthMetadata).toBe(1);

    now += 2000;
    vi.setSystemTime(now);
    await expect(discovery.metadata()).resolves.toMatchObject({ issuer: idp.issuer });
    expect(idp.calls.oauthMetadata).toBe(2);
  });
});

describe('createDiscovery: issuers with a path, and endpoint validation', () => {
  it('RFC 8414 §3.1: the well-known segment goes before the issuer path', async () => {
    const server = await documentServer((base) => ({
      '/.well-known/oauth-authorization-server/tenant-a': {
        issuer: `${base}/tenant-a`,
        jwks_uri: `${base}/tenant-a/jwks`,
      },
    }));
    try {
      const metadata = await discover(`${server.base}/tenant-a`).metadata();
      expect(metadata.jwks_uri).toBe(`${server.base}/tenant-a/jwks`);
      expect(server.hits).toEqual(['/.well-known/oauth-authorization-server/tenant-a']);
    } finally {
      await server.close();
    }
  });

  it('OIDC Discovery §4: the fallback appends the well-known segment to the issuer path', async () => {
    const server = await documentServer((base) => ({
      '/tenant-a/.well-known/openid-configuration': {
        issuer: `${base}/tenant-a`,
        token_endpoint: `${base}/t`,
      },
    }));
    try {
      const metadata = await discover(`${server.base}/tenant-a`).metadata();
      expect(metadata.token_endpoint).toBe(`${server.base}/t`);
      expect(server.hits).toEqual([
        '/.well-known/oauth-authorization-server/tenant-a',
        '/tenant-a/.well-known/openid-configuration',
      ]);
    } finally {
      await server.close();
    }
  });

  it.each([
    ['not a URL', 'jwks.json'],
    ['not a string', 42],
  ])(
    'a malformed document (an endpoint that is %s) is an outage (503), not a config error',
    async (_name, jwksUri) => {
      const server = await documentServer((base) => ({
        '/.well-known/oauth-authorization-server': { issuer: base, jwks_uri: jwksUri },
      }));
      try {
        const error = await refusal(discover(server.base).metadata());
        expect(error).toBeInstanceOf(UpstreamUnavailableError);
      } finally {
        await server.close();
      }
    },
  );

  it.each([['not http(s)', 'ftp://127.0.0.1/jwks']])(
    'an endpoint that is %s is a config error naming `issuer`',
    async (_name, jwksUri) => {
      const server = await documentServer((base) => ({
        '/.well-known/oauth-authorization-server': { issuer: base, jwks_uri: jwksUri },
      }));
      try {
        const error = await refusal(discover(server.base).metadata());
        expect(error).toBeInstanceOf(TokenGuardConfigError);
        expect(error).toMatchObject({ option: 'issuer' });
      } finally {
        await server.close();
      }
    },
  );
});

describe('discovery feeding the JWT verifier (issuer-only configuration)', () => {
  it('the JWKS comes from the metadata jwks_uri, fetched lazily on first verification', async () => {
    const discovery = discover(idp.issuer);
    const config = normalizeJwtOptions(
      { audience: 'api' },
      { issuer: idp.issuer, clockToleranceSec: 5, allowInsecureHttp: true },
    );
    expect(config.jwksUri).toBeUndefined();
    const verifier = createJwtVerifier(config, {
      http,
      jwksUri: async () => new URL((await discovery.metadata()).jwks_uri as string),
    });
    expect(idp.calls.oauthMetadata).toBe(0);
    await expect(verifier.verify(await idp.mintJwt({}, { alg: 'EdDSA' }))).resolves.toMatchObject({
      active: true,
    });
    expect(idp.calls.oauthMetadata).toBe(1);
    expect(idp.calls.jwks).toBe(1);
  });

  it('a discovery outage while loading keys is a 503, not a 401', async () => {
    const discovery = discover(idp.issuer);
    const config = normalizeJwtOptions(
      { audience: 'api' },
      { issuer: idp.issuer, clockToleranceSec: 5, allowInsecureHttp: true },
    );
    const verifier = createJwtVerifier(config, {
      http,
      jwksUri: async () => new URL((await discovery.metadata()).jwks_uri as string),
    });
    idp.injectFault('metadata', { kind: 'status', status: 502 }, 1);
    const error = await refusal(verifier.verify(await idp.mintJwt()));
    expect(error).toBeInstanceOf(UpstreamUnavailableError);
    expect(idp.calls.jwks).toBe(0);
  });
});
