/**
 * The interop suite, written once as a function of an adapter harness and run for Express,
 * Koa and Fastify: a real app on loopback, guarded by tokenguard, talking to a real
 * oidc-provider (an authorization server nobody here wrote). Where oidc-provider departs
 * from the identity service's introspection contract the guard must cope in the core; these
 * tests never work around
 * it (the README's "Compatibility" table lists the differences).
 */
import type { AuthContext, GuardOptions } from '@tokenguard/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type StartedOidcProvider, startOidcProvider } from './start-oidc-provider.js';

/** A running app: `GET /whoami` answers the auth context summary (see `summarizeAuth`). */
export interface InteropApp {
  readonly url: string;
  close(): Promise<void>;
}

export interface InteropHarness {
  readonly name: string;
  /** Starts an app on 127.0.0.1:0 with the adapter's `tokenGuard(options)` in front. */
  start(options: GuardOptions): Promise<InteropApp>;
}

/** What `/whoami` answers: enough to see which strategy ran and what it extracted. */
export function summarizeAuth(auth: AuthContext | undefined): Record<string, unknown> {
  if (auth === undefined) return { auth: null };
  return {
    strategy: auth.strategy,
    issuer: auth.issuer,
    scopes: auth.scopes,
    client_id: auth.claims.client_id,
    sub: auth.claims.sub,
    brand: auth.claims.brand,
    iss: auth.claims.iss,
    aud: auth.claims.aud,
  };
}

const INVALID_TOKEN_CHALLENGE = 'Bearer realm="api", error="invalid_token"';

/** Waits until the clock has passed `expSec` (whole seconds), as both sides count it. */
async function waitPastExp(expSec: number): Promise<void> {
  const ms = expSec * 1000 + 50 - Date.now();
  if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
}

function jwtExp(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return payload.exp as number;
}

export function runInteropSuite(harness: InteropHarness): void {
  describe(`${harness.name} × oidc-provider`, () => {
    let op: StartedOidcProvider;
    const apps: InteropApp[] = [];

    beforeAll(async () => {
      op = await startOidcProvider({ shortTtlSec: 2 });
    });

    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    afterAll(async () => {
      await op?.close();
    });

    async function start(options: GuardOptions): Promise<InteropApp> {
      const app = await harness.start(options);
      apps.push(app);
      return app;
    }

    function call(app: InteropApp, token: string): Promise<Response> {
      return fetch(`${app.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });
    }

    /** Opaque tokens, checked at oidc-provider's introspection endpoint as `resource-server`. */
    function introspectionOptions(
      method: 'client_secret_basic' | 'client_secret_post' = 'client_secret_basic',
      extra: Partial<GuardOptions> = {},
    ): GuardOptions {
      return {
        introspection: {
          endpoint: op.introspectionEndpoint,
          clientAuth: {
            method,
            clientId: op.resourceServer.clientId,
            clientSecret: op.resourceServer.clientSecret,
          },
        },
        allowInsecureHttp: true,
        ...extra,
      };
    }

    /** JWT access tokens, verified locally with keys found through discovery. */
    function jwtOptions(extra: Partial<GuardOptions> = {}): GuardOptions {
      return {
        issuer: op.issuer,
        jwt: { audience: op.jwtResource },
        allowInsecureHttp: true,
        ...extra,
      };
    }

    async function expectInvalidToken(response: Response): Promise<void> {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(INVALID_TOKEN_CHALLENGE);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(await response.json()).toMatchObject({ error: 'invalid_token' });
    }

    describe('opaque tokens by introspection', () => {
      it.each(['client_secret_basic', 'client_secret_post'] as const)(
        'RFC 7662 §2.1 (%s): an oidc-provider opaque token is accepted with its claims',
        async (method) => {
          const app = await start(introspectionOptions(method));
          const issued = await op.issueToken({ scope: 'read write' });
          const response = await call(app, issued.access_token);
          expect(response.status).toBe(200);
          expect(await response.json()).toEqual({
            strategy: 'introspection',
            scopes: ['read', 'write'],
            client_id: op.acme.clientId,
            brand: 'acme',
            iss: op.issuer,
          });
        },
      );

      it('RFC 7662 §2.1: Bearer-authenticated introspection (the contract example) is refused by oidc-provider → 500 server_error', async () => {
        // oidc-provider only authenticates OAuth clients (it answers 400 invalid_request to a
        // Bearer header), so the guard sees its own credentials refused: a misconfiguration.
        const callerToken = await op.issueToken({ scope: 'read' });
        const logged: unknown[] = [];
        const app = await start({
          introspection: {
            endpoint: op.introspectionEndpoint,
            clientAuth: { method: 'bearer', token: callerToken.access_token },
          },
          allowInsecureHttp: true,
          logger: { warn: (...args) => logged.push(args), error: (...args) => logged.push(args) },
        });
        const issued = await op.issueToken({ scope: 'read' });
        const response = await call(app, issued.access_token);
        expect(response.status).toBe(500);
        expect(response.headers.get('www-authenticate')).toBeNull();
        expect(await response.json()).toMatchObject({ error: 'server_error' });
        // Details go to the logs only, and never a raw token (ours or the caller's).
        const logs = JSON.stringify(logged);
        expect(logs).not.toContain(callerToken.access_token);
        expect(logs).not.toContain(issued.access_token);
      });

      it('RFC 8414 §3: the introspection endpoint is found through discovery of the issuer', async () => {
        const app = await start({
          issuer: op.issuer,
          introspection: {
            clientAuth: {
              method: 'client_secret_basic',
              clientId: op.resourceServer.clientId,
              clientSecret: op.resourceServer.clientSecret,
            },
          },
          allowInsecureHttp: true,
        });
        const issued = await op.issueToken({ scope: 'read', resource: op.opaqueResource });
        const response = await call(app, issued.access_token);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          strategy: 'introspection',
          aud: op.opaqueResource,
          scopes: ['read'],
        });
      });

      it('RFC 7662 §2.2: a token oidc-provider never issued (active:false) → 401 invalid_token', async () => {
        const app = await start(introspectionOptions());
        await expectInvalidToken(await call(app, 'never-issued-by-this-provider-0123456789'));
      });

      it('RFC 7662 §2.2: a JWS-shaped token oidc-provider refuses to introspect (400 unsupported_token_type) → 401 invalid_token', async () => {
        // Anyone can send this: oidc-provider answers 400 before any lookup. It says nothing
        // about our credentials, so it must not become a 500.
        const app = await start(introspectionOptions());
        const forged = `${Buffer.from('{"alg":"none"}').toString('base64url')}.e30.`;
        await expectInvalidToken(await call(app, forged));
      });

      it('RFC 7009 §2: with cache off, a token revoked at oidc-provider is refused on the next request', async () => {
        const app = await start(introspectionOptions('client_secret_basic', { cache: false }));
        const issued = await op.issueToken({ scope: 'read' });
        expect((await call(app, issued.access_token)).status).toBe(200);
        await op.revoke(issued.access_token, op.acme);
        await expectInvalidToken(await call(app, issued.access_token));
      });

      it('RFC 7009 §2: with cache on, a revoked token is refused once the cache TTL passes', async () => {
        const app = await start(
          introspectionOptions('client_secret_basic', { cache: { maxTtlMs: 1000 } }),
        );
        const issued = await op.issueToken({ scope: 'read' });
        expect((await call(app, issued.access_token)).status).toBe(200);
        await op.revoke(issued.access_token, op.acme);
        // The revocation trade-off of caching: the cached verdict still stands for up to maxTtlMs.
        expect((await call(app, issued.access_token)).status).toBe(200);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        await expectInvalidToken(await call(app, issued.access_token));
      });
    });

    describe('JWT access tokens (RFC 9068) by discovery', () => {
      it('RFC 9068 §4: an oidc-provider JWT is verified locally with keys found by discovery', async () => {
        const app = await start(jwtOptions());
        const issued = await op.issueToken({ scope: 'read write', resource: op.jwtResource });
        const response = await call(app, issued.access_token);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({
          strategy: 'jwt',
          issuer: op.issuer,
          scopes: ['read', 'write'],
          client_id: op.acme.clientId,
          sub: op.acme.clientId,
          brand: 'acme',
          iss: op.issuer,
          aud: op.jwtResource,
        });
      });

      it('RFC 9068 §4: a JWT issued for another audience → 401 invalid_token', async () => {
        const app = await start(jwtOptions({ jwt: { audience: 'https://other.example.test/' } }));
        const issued = await op.issueToken({ scope: 'read', resource: op.jwtResource });
        await expectInvalidToken(await call(app, issued.access_token));
      });

      it('auto mode: JWTs are verified locally and opaque tokens introspected, by one guard', async () => {
        // oidc-provider would answer 400 if its JWT reached the introspection endpoint, so
        // both passing also proves the JWT was never sent there.
        const app = await start({
          ...introspectionOptions(),
          issuer: op.issuer,
          jwt: { audience: op.jwtResource },
          strategy: 'auto',
        });
        const jwt = await op.issueToken({ scope: 'read', resource: op.jwtResource });
        const opaque = await op.issueToken({ scope: 'write' });
        const jwtResponse = await call(app, jwt.access_token);
        const opaqueResponse = await call(app, opaque.access_token);
        expect(jwtResponse.status).toBe(200);
        expect(await jwtResponse.json()).toMatchObject({ strategy: 'jwt', scopes: ['read'] });
        expect(opaqueResponse.status).toBe(200);
        expect(await opaqueResponse.json()).toMatchObject({
          strategy: 'introspection',
          scopes: ['write'],
        });
      });
    });

    describe('scopes and brand from oidc-provider claims', () => {
      const strategies = [
        ['introspection', undefined],
        ['jwt', 'jwt'],
      ] as const;

      it.each(strategies)(
        'RFC 6750 §3.1 (%s): a missing scope → 403 insufficient_scope',
        async (_name, kind) => {
          const app = await start(
            kind === 'jwt'
              ? jwtOptions({ scopes: ['read', 'admin'] })
              : introspectionOptions('client_secret_basic', { scopes: ['read', 'admin'] }),
          );
          const issued = await op.issueToken({
            scope: 'read write',
            ...(kind === 'jwt' ? { resource: op.jwtResource } : {}),
          });
          const response = await call(app, issued.access_token);
          expect(response.status).toBe(403);
          expect(response.headers.get('www-authenticate')).toBe(
            'Bearer realm="api", error="insufficient_scope", scope="read admin"',
          );
          expect(await response.json()).toMatchObject({ error: 'insufficient_scope' });

          const granted = await op.issueToken({
            scope: 'read admin',
            ...(kind === 'jwt' ? { resource: op.jwtResource } : {}),
          });
          expect((await call(app, granted.access_token)).status).toBe(200);
        },
      );

      it.each(strategies)(
        'the contract brand claim (%s): a token of another brand → 403 invalid_brand',
        async (_name, kind) => {
          const app = await start(
            kind === 'jwt'
              ? jwtOptions({ brand: 'globex' })
              : introspectionOptions('client_secret_basic', { brand: 'globex' }),
          );
          const resource = kind === 'jwt' ? { resource: op.jwtResource } : {};
          const acmeToken = await op.issueToken({ scope: 'read', ...resource });
          const response = await call(app, acmeToken.access_token);
          expect(response.status).toBe(403);
          expect(response.headers.get('www-authenticate')).toBe(
            'Bearer realm="api", error="invalid_brand"',
          );
          expect(await response.json()).toMatchObject({ error: 'invalid_brand' });

          const globexToken = await op.issueToken({
            client: op.globex,
            scope: 'read',
            ...resource,
          });
          const accepted = await call(app, globexToken.access_token);
          expect(accepted.status).toBe(200);
          expect(await accepted.json()).toMatchObject({ brand: 'globex' });
        },
      );
    });

    describe('expiry', () => {
      it('RFC 6750 §3.1: expired oidc-provider tokens (opaque and JWT) → 401 invalid_token', async () => {
        // Default cache on: a cached positive verdict must not outlive the token's exp.
        const introspecting = await start(
          introspectionOptions('client_secret_basic', { clockToleranceSec: 0 }),
        );
        const verifying = await start(jwtOptions({ clockToleranceSec: 0 }));
        const opaque = await op.issueToken({ client: op.shortLived, scope: 'read' });
        const jwt = await op.issueToken({
          client: op.shortLived,
          scope: 'read',
          resource: op.jwtResource,
        });
        expect((await call(introspecting, opaque.access_token)).status).toBe(200);
        expect((await call(verifying, jwt.access_token)).status).toBe(200);
        // Both were issued in the same second or the opaque one earlier: the JWT's exp bounds both.
        await waitPastExp(jwtExp(jwt.access_token));
        await expectInvalidToken(await call(introspecting, opaque.access_token));
        await expectInvalidToken(await call(verifying, jwt.access_token));
      });
    });
  });
}
