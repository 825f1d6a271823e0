/**
 * What only the Fastify plugin does (the shared behaviour is in test/conformance):
 * encapsulation, route config, `request.log`, startup checks, the form parser, onClose.
 */
import type { GuardOptions } from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createGuard,
  requireScopes,
  resourceMetadataHandler,
  TokenGuardConfigError,
  tokenGuard,
} from '../src/index.js';

let idp: IdentityServer;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  idp = await createIdentityServer();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
  idp.clearFaults();
});
afterAll(async () => {
  await idp.close();
});

function options(extra: Partial<GuardOptions> = {}): GuardOptions {
  return {
    realm: 'test',
    allowInsecureHttp: true,
    cache: false,
    logger: { warn() {}, error() {} },
    introspection: {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer', token: idp.callerToken },
      http: { timeoutMs: 300 },
    },
    ...extra,
  };
}

function app(instance: FastifyInstance = fastify()): FastifyInstance {
  apps.push(instance);
  return instance;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('@tokenguard/fastify', () => {
  it('encapsulation: the plugin protects the scope it is registered in, not its siblings', async () => {
    const server = app();
    server.get('/public', async () => ({ open: true }));
    server.register(async (scope) => {
      await scope.register(tokenGuard, options());
      scope.get('/private', async (request) => ({ sub: request.auth?.claims.sub }));
    });
    server.register(async (sibling) => {
      sibling.get('/sibling', async (request) => ({ auth: request.auth ?? null }));
    });
    await server.ready();

    expect((await server.inject({ url: '/public' })).statusCode).toBe(200);
    expect((await server.inject({ url: '/sibling' })).json()).toEqual({ auth: null });
    expect((await server.inject({ url: '/private' })).statusCode).toBe(401);
    const ok = await server.inject({
      url: '/private',
      headers: bearer(idp.mintToken({ sub: 'u' })),
    });
    expect(ok.json()).toEqual({ sub: 'u' });
  });

  it('route config optional: no token passes with no auth; a bad token is still 401', async () => {
    const server = app();
    await server.register(tokenGuard, options());
    server.get('/maybe', { config: { tokenguard: { optional: true } } }, async (request) => ({
      auth: request.auth?.claims.sub ?? null,
    }));
    server.get(
      '/maybe-scoped',
      { config: { tokenguard: { optional: true, scopes: ['a'] } } },
      async () => ({}),
    );
    server.get('/strict', async () => ({}));

    expect((await server.inject({ url: '/maybe' })).json()).toEqual({ auth: null });
    const bad = await server.inject({ url: '/maybe', headers: bearer('not-issued') });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toBe('Bearer realm="test", error="invalid_token"');
    const good = await server.inject({
      url: '/maybe',
      headers: bearer(idp.mintToken({ sub: 'x' })),
    });
    expect(good.json()).toEqual({ auth: 'x' });
    // Requirements on an optional route still need a token.
    const scoped = await server.inject({ url: '/maybe-scoped' });
    expect(scoped.statusCode).toBe(401);
    expect(scoped.headers['www-authenticate']).toBe('Bearer realm="test"');
    expect((await server.inject({ url: '/strict' })).statusCode).toBe(401);
  });

  it('a route requirement typo fails where the route is declared, naming the option', async () => {
    const server = app();
    await server.register(tokenGuard, options());
    expect(() =>
      server.get(
        '/typo',
        { config: { tokenguard: { scopes: 'orders:read' as unknown as string[] } } },
        async () => ({}),
      ),
    ).toThrow(
      expect.objectContaining({
        name: 'TokenGuardConfigError',
        option: 'config.tokenguard.scopes',
      }),
    );
  });

  it('route helpers validate their requirements where they are declared', () => {
    expect(() => requireScopes('two words')).toThrow(TokenGuardConfigError);
  });

  it('upstream details are logged through request.log (with the request id), never the token', async () => {
    const lines: string[] = [];
    const server = app(
      fastify({ logger: { level: 'warn', stream: { write: (l: string) => lines.push(l) } } }),
    );
    await server.register(tokenGuard, options({ logger: undefined }));
    server.get('/x', async () => ({}));
    idp.injectFault('introspect', { kind: 'status', status: 502 }, 1);
    const token = idp.mintToken();
    const answer = await server.inject({ url: '/x', headers: bearer(token) });
    expect(answer.statusCode).toBe(503);
    const logged = lines.map(
      (l) => JSON.parse(l) as { level: number; msg: string; reqId?: string },
    );
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(/^tokenguard: /),
        reqId: expect.any(String),
      }),
    );
    expect(lines.join('\n')).not.toContain(token);
  });

  it('discovery: an issuer the identity service contradicts fails at startup', async () => {
    const liar = await createIdentityServer({ issuer: 'http://other-issuer.example' });
    try {
      const server = app();
      server.register(tokenGuard, {
        issuer: liar.url,
        allowInsecureHttp: true,
        logger: { warn() {}, error() {} },
        introspection: { clientAuth: { method: 'bearer', token: liar.callerToken } },
      });
      await expect(server.ready()).rejects.toBeInstanceOf(TokenGuardConfigError);
    } finally {
      await liar.close();
    }
  });

  it('discovery: an outage at startup is not fatal; requests get 503 until it recovers', async () => {
    const server = app();
    server.register(tokenGuard, {
      issuer: 'http://127.0.0.1:1',
      allowInsecureHttp: true,
      logger: { warn() {}, error() {} },
      introspection: { clientAuth: { method: 'bearer', token: 'x' }, http: { timeoutMs: 300 } },
    });
    server.get('/x', async () => ({}));
    await server.ready();
    const answer = await server.inject({ url: '/x', headers: bearer(idp.mintToken()) });
    expect(answer.statusCode).toBe(503);
  });

  it('token.body: the plugin parses forms as strings only when no form parser exists', async () => {
    const withOwn = app();
    withOwn.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    await withOwn.register(tokenGuard, options({ token: { body: true } }));
    withOwn.post('/form', async (request) => ({
      body: request.body,
      sub: request.auth?.claims.sub,
    }));
    const answer = await withOwn.inject({
      method: 'POST',
      url: '/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `access_token=${idp.mintToken({ sub: 'f' })}&note=hi`,
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ body: { note: 'hi' }, sub: 'f' });
  });

  it('a prebuilt guard is shared across scopes and left open on close (its owner closes it)', async () => {
    const guard = createGuard(options());
    try {
      const server = app();
      const decorated: unknown[] = [];
      server.register(async (a) => {
        await a.register(tokenGuard, { guard });
        decorated.push(a.tokenGuard);
        a.get('/a', async (request) => ({ sub: request.auth?.claims.sub }));
      });
      server.register(async (b) => {
        await b.register(tokenGuard, { guard, passErrors: true });
        b.get('/b', async () => ({}));
      });
      await server.ready();
      const token = idp.mintToken({ sub: 'shared' });
      expect((await server.inject({ url: '/a', headers: bearer(token) })).json()).toEqual({
        sub: 'shared',
      });
      expect(decorated).toHaveLength(1);
      expect(decorated[0]).toBe(guard);
      await server.close();
      // Still usable: the plugin did not close a guard it did not build.
      await expect(guard.verify(token)).resolves.toMatchObject({ claims: { sub: 'shared' } });
    } finally {
      await guard.close();
    }
  });

  it('RFC 9728 §3: a plugin in a child scope without a prefix still serves the document at the root', async () => {
    const warnings: string[] = [];
    const metadata = { resource: 'https://api.example.test/orders' };
    const server = app();
    server.register(async (scope) => {
      await scope.register(
        tokenGuard,
        options({
          resourceMetadata: metadata,
          logger: { warn: (message) => warnings.push(message), error() {} },
        }),
      );
      scope.get('/orders', async (request) => ({ sub: request.auth?.claims.sub }));
    });
    await server.ready();

    for (const url of [
      '/.well-known/oauth-protected-resource/orders',
      '/.well-known/oauth-protected-resource',
    ]) {
      const answer = await server.inject({ url });
      expect(answer.statusCode).toBe(200);
      expect(answer.json()).toMatchObject({ resource: metadata.resource });
      expect((await server.inject({ method: 'HEAD', url })).statusCode).toBe(200);
    }
    expect((await server.inject({ url: '/orders' })).statusCode).toBe(401);
    expect(warnings).toEqual([]);
  });

  it('RFC 9728 §3: resourceMetadataHandler refuses a prefix, and a guard without resourceMetadata', async () => {
    const guard = createGuard(options());
    try {
      const prefixed = app();
      prefixed.register(
        async (scope) => {
          await scope.register(resourceMetadataHandler, { guard });
        },
        { prefix: '/api' },
      );
      await expect(prefixed.ready()).rejects.toMatchObject({
        option: 'resourceMetadataHandler',
      });
      const plain = app();
      plain.register(resourceMetadataHandler, { guard });
      await expect(plain.ready()).rejects.toMatchObject({ option: 'resourceMetadata' });
    } finally {
      await guard.close();
    }
  });

  it('a prebuilt guard cannot be combined with guard options', async () => {
    const guard = createGuard(options());
    try {
      const server = app();
      server.register(tokenGuard, { guard, realm: 'x' } as never);
      await expect(server.ready()).rejects.toMatchObject({ option: 'guard' });
    } finally {
      await guard.close();
    }
  });
});
