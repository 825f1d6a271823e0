/**
 * The JWT strategy's conformance suite: local verification, attacks, rotation,
 * auto-mode routing, discovery and the scope/brand rules on JWT claims, run unchanged against
 * each adapter (see harness.ts) and the real loopback identity server. Status and headers are
 * asserted exactly.
 */
import type { GuardOptions, TokenGuardLogger } from '@tokenguard/core';
import {
  type BadJwtKind,
  createIdentityServer,
  type IdentityServer,
  type MintJwtClaims,
} from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectOk, expectRefusal, expectUnavailable, sleep } from './expect-answer.js';
import {
  type AdapterHarness,
  type AppSpec,
  appPerBlock,
  type RunningApp,
  SCOPES_ALL,
  sha256,
} from './harness.js';
import { bearer, send } from './http.js';

const INVALID_TOKEN = 'Bearer realm="test", error="invalid_token"';
const INVALID_BRAND = 'Bearer realm="test", error="invalid_brand"';
const ACCESS_DENIED = 'Bearer realm="test", error="access_denied"';
const insufficientScope = (scopes: readonly string[]) =>
  `Bearer realm="test", error="insufficient_scope", scope="${scopes.join(' ')}"`;

const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

/** Each attack token is wrong in exactly the way its name says and right in every other way. */
export const JWT_ATTACKS: readonly [BadJwtKind, string][] = [
  ['wrong-key', 'RFC 7515 §5.2: signed by a key the issuer does not publish'],
  ['alg-none', 'RFC 8725 §3.2: unsecured alg none'],
  ['hs256-with-public-key', 'RFC 8725 §2.1: HS256 keyed with the public key (key confusion)'],
  ['expired', 'RFC 7519 §4.1.4: exp in the past'],
  ['future-nbf', 'RFC 7519 §4.1.5: nbf in the future'],
  ['future-iat', 'RFC 7519 §4.1.6: iat in the future'],
  ['wrong-iss', 'RFC 7519 §4.1.1: another issuer'],
  ['wrong-aud', 'RFC 7519 §4.1.3: another audience'],
  ['wrong-typ', 'RFC 9068 §4: typ JWT instead of at+jwt'],
  ['missing-typ', 'RFC 9068 §4: no typ'],
  ['unknown-kid', 'RFC 7515 §4.1.4: a kid the issuer does not publish'],
  ['jku-header', 'RFC 8725 §3.10: jku pointing at the attacker’s key set'],
  ['embedded-jwk', 'RFC 8725 §3.10: the attacker’s key embedded as jwk'],
  ['x5u-header', 'RFC 8725 §3.10: x5u pointing at the attacker’s certificate'],
  ['crit-header', 'RFC 7515 §4.1.11: an unknown critical header'],
  ['tampered-payload', 'RFC 7515 §5.2: payload changed after signing'],
  ['missing-exp', 'RFC 9068 §2.2: no exp'],
];

export function runJwtConformance(harness: AdapterHarness): void {
  describe(`JWT conformance: ${harness.name}`, () => {
    let idp: IdentityServer;

    beforeAll(async () => {
      idp = await createIdentityServer();
    });
    afterAll(async () => {
      await idp.close();
    });
    beforeEach(() => {
      idp.clearFaults();
      idp.resetCalls();
    });

    /** Guard options for local JWT verification against `server`; no cache unless asked. */
    function jwtOptions(
      extra: Partial<GuardOptions> = {},
      jwt: Partial<NonNullable<GuardOptions['jwt']>> = {},
      server: IdentityServer = idp,
    ): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        cache: false,
        logger: quietLogger,
        ...extra,
        jwt: {
          issuer: server.issuer,
          audience: 'api',
          jwksUri: server.jwksUri,
          ...jwt,
        } as GuardOptions['jwt'],
      };
    }

    const appFor = (spec: () => AppSpec) => appPerBlock(harness, spec);

    const jwt = (claims: MintJwtClaims = {}, alg: 'RS256' | 'ES256' | 'EdDSA' = 'RS256') =>
      idp.mintJwt(claims, { alg });

    describe('RFC 9068: valid JWT access tokens, verified locally', () => {
      const app = appFor(() => ({ guardOptions: jwtOptions() }));
      const get = (path: string, token: string) =>
        send(app().url, path, { headers: bearer(token) });

      it.each(['RS256', 'ES256', 'EdDSA'] as const)(
        'a %s token passes; claims in the contract shape, scopes, strategy jwt',
        async (alg) => {
          const t = await jwt(
            { sub: 'alice', scope: 'orders:read orders:write', brand: 'acme' },
            alg,
          );
          const answer = await get('/protected', t);
          expectOk(answer);
          expect(answer.body.auth).toEqual({
            claims: expect.objectContaining({
              active: true,
              sub: 'alice',
              client_id: 'client-1',
              scope: 'orders:read orders:write',
              brand: 'acme',
              iss: idp.issuer,
              aud: 'api',
              exp: expect.any(Number),
            }),
            scopes: ['orders:read', 'orders:write'],
            strategy: 'jwt',
            issuer: idp.issuer,
          });
          expect(answer.body.tokenSha256).toBe(sha256(t));
          expect(answer.body.serializedHasToken).toBe(false);
          expect(idp.calls.introspect).toBe(0);
        },
      );

      it('scp as a list (RFC 9068 §2.2.3 alternative) becomes scope and scopes', async () => {
        const answer = await get('/protected', await jwt({ scp: ['orders:read', 'admin'] }));
        expectOk(answer);
        expect(answer.body.auth.claims.scope).toBe('orders:read admin');
        expect(answer.body.auth.scopes).toEqual(['orders:read', 'admin']);
      });
    });

    describe('the JWKS is fetched once and cached', () => {
      const app = appFor(() => ({ guardOptions: jwtOptions() }));

      it('many tokens and algorithms → one JWKS fetch, no introspection', async () => {
        for (const alg of ['RS256', 'ES256', 'EdDSA', 'RS256', 'ES256', 'EdDSA'] as const) {
          expectOk(await send(app().url, '/protected', { headers: bearer(await jwt({}, alg)) }));
        }
        expect(idp.calls.jwks).toBe(1);
        expect(idp.calls.introspect).toBe(0);
        expect(app().guard?.metrics().jwksFetches).toBe(1);
      });
    });

    describe('attacks → 401 invalid_token, decided locally', () => {
      const app = appFor(() => ({ guardOptions: jwtOptions() }));

      it.each(JWT_ATTACKS)('%s (%s)', async (kind) => {
        const answer = await send(app().url, '/protected', {
          headers: bearer(await idp.mintBadJwt(kind)),
        });
        expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
        // jku/x5u are never followed; nothing is asked of introspection.
        expect(idp.calls.attacker).toBe(0);
        expect(idp.calls.introspect).toBe(0);
      });
    });

    describe('RFC 7517 §4.5: key rotation', () => {
      let rotating: IdentityServer;
      beforeAll(async () => {
        rotating = await createIdentityServer({ jwtAlgorithms: ['ES256'] });
      });
      afterAll(() => rotating.close());
      const app = appFor(() => ({
        guardOptions: jwtOptions({}, { jwksCooldownMs: 200 }, rotating),
      }));

      it('a token with the new kid is accepted after one refetch; the old kid keeps working', async () => {
        const get = (token: string) => send(app().url, '/protected', { headers: bearer(token) });
        const oldToken = await rotating.mintJwt({}, { alg: 'ES256' });
        expectOk(await get(oldToken));
        expect(rotating.calls.jwks).toBe(1);

        await rotating.rotateKeys();
        await sleep(250); // past the refetch cooldown
        expectOk(await get(await rotating.mintJwt({}, { alg: 'ES256' })));
        expect(rotating.calls.jwks).toBe(2);
        expectOk(await get(oldToken));
        expect(rotating.calls.jwks).toBe(2);
      });
    });

    describe('unknown kids: no refetch storm', () => {
      const app = appFor(() => ({ guardOptions: jwtOptions() }));
      let unknownKids: string[] = [];
      beforeAll(async () => {
        // Signed by the issuer's real key, each naming a kid it does not publish.
        unknownKids = await Promise.all(
          Array.from({ length: 500 }, (_, i) =>
            idp.mintJwt({}, { alg: 'ES256', header: { kid: `unknown-${i}` } }),
          ),
        );
      });
      const burst = (tokens: readonly string[]) =>
        Promise.all(tokens.map((t) => send(app().url, '/protected', { headers: bearer(t) })));

      it('a cold burst of 500 requests with unknown kids → all 401, exactly one JWKS fetch', async () => {
        const answers = await burst(unknownKids);
        for (const answer of answers) expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
        expect(idp.calls.jwks).toBe(1);
        expect(idp.calls.introspect).toBe(0);
      });

      it('another burst inside the cooldown → all 401, no JWKS fetch at all', async () => {
        const answers = await burst(unknownKids.slice(0, 200));
        for (const answer of answers) expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
        expect(idp.calls.jwks).toBe(0);
      });
    });

    describe('JWKS outage → 503, never 401', () => {
      const app = appFor(() => ({ guardOptions: jwtOptions() }));

      it('JWKS answering 500 → 503 with Retry-After', async () => {
        idp.injectFault('jwks', { kind: 'status', status: 500 });
        expectUnavailable(await send(app().url, '/protected', { headers: bearer(await jwt()) }));
      });
    });

    describe('auto mode: compact JWS → local, anything else → introspection', () => {
      const app = appFor(() => ({
        guardOptions: jwtOptions({
          introspection: {
            endpoint: idp.introspectionEndpoint,
            clientAuth: { method: 'bearer', token: idp.callerToken },
          },
        }),
      }));
      const get = (token: string) => send(app().url, '/protected', { headers: bearer(token) });

      it('a JWT is verified locally and never sent to introspection', async () => {
        const answer = await get(await jwt({ scope: 'orders:read' }));
        expectOk(answer);
        expect(answer.body.auth.strategy).toBe('jwt');
        expect(idp.calls.introspect).toBe(0);
      });

      it('an opaque token goes to introspection and is never parsed as a JWT (no JWKS fetch)', async () => {
        const answer = await get(idp.mintToken({ scope: 'orders:read' }));
        expectOk(answer);
        expect(answer.body.auth.strategy).toBe('introspection');
        expect(idp.calls.introspect).toBe(1);
        expect(idp.calls.jwks).toBe(0);
      });

      it.each(['wrong-key', 'alg-none', 'expired', 'jku-header'] as const)(
        'a bad JWT (%s) is refused locally, never retried by introspection',
        async (kind) => {
          expectRefusal(await get(await idp.mintBadJwt(kind)), 401, INVALID_TOKEN, 'invalid_token');
          expect(idp.calls.introspect).toBe(0);
        },
      );

      it('documented trade-off: a revoked JWT stays valid locally until it expires', async () => {
        const t = await jwt();
        idp.revoke(t);
        const answer = await get(t);
        expectOk(answer);
        expect(answer.body.auth.strategy).toBe('jwt');
        expect(idp.calls.introspect).toBe(0);
      });
    });

    describe('discovery: an issuer-only configuration', () => {
      const app = appFor(() => ({
        guardOptions: {
          realm: 'test',
          allowInsecureHttp: true,
          cache: false,
          logger: quietLogger,
          issuer: idp.issuer,
          introspection: { clientAuth: { method: 'bearer', token: idp.callerToken } },
          jwt: { audience: 'api' },
        },
      }));
      const get = (token: string) => send(app().url, '/protected', { headers: bearer(token) });

      it('RFC 8414: jwks_uri and introspection_endpoint come from the metadata, fetched once', async () => {
        await app().guard?.ready();
        const local = await get(await jwt());
        expectOk(local);
        expect(local.body.auth.strategy).toBe('jwt');
        const remote = await get(idp.mintToken());
        expectOk(remote);
        expect(remote.body.auth.strategy).toBe('introspection');
        expectOk(await get(await jwt({}, 'EdDSA')));
        // Fetched at most once: at startup (Fastify) or on first use (Express, Koa).
        expect(idp.calls.oauthMetadata).toBeLessThanOrEqual(1);
        expect(idp.calls.openidMetadata).toBe(0);
        expect(idp.calls.jwks).toBe(1);
        expect(idp.calls.introspect).toBe(1);
      });
    });

    describe('discovery: failures', () => {
      it('RFC 8414 §3.3: an issuer mismatch is a clear startup error naming `issuer`', async () => {
        const wrong = await createIdentityServer({
          issuer: 'http://wrong.example',
          jwtAlgorithms: ['ES256'],
        });
        try {
          const spec: AppSpec = {
            guardOptions: {
              realm: 'test',
              allowInsecureHttp: true,
              logger: quietLogger,
              issuer: wrong.url,
              jwt: { audience: 'api' },
            },
          };
          let startupError: unknown;
          let app: RunningApp | undefined;
          try {
            app = await harness.createApp(spec);
            await app.guard?.ready();
          } catch (error) {
            startupError = error;
          }
          expect(startupError).toMatchObject({ code: 'invalid_option', option: 'issuer' });
          if (app !== undefined) {
            // An app started anyway answers 500 (the operator must act), never 401.
            const answer = await send(app.url, '/protected', {
              headers: bearer(await wrong.mintJwt({}, { alg: 'ES256' })),
            });
            expect({
              status: answer.status,
              challenge: answer.headers['www-authenticate'],
            }).toEqual({
              status: 500,
              challenge: undefined,
            });
            expect(answer.body).toEqual({
              error: 'server_error',
              error_description: expect.any(String),
            });
            await app.close();
          }
          expect(wrong.calls.jwks).toBe(0);
        } finally {
          await wrong.close();
        }
      });

      it('a metadata outage is a 503 (or a startup failure that names it), never 401', async () => {
        idp.injectFault('metadata', { kind: 'status', status: 500 });
        let app: RunningApp | undefined;
        try {
          app = await harness.createApp({
            guardOptions: {
              realm: 'test',
              allowInsecureHttp: true,
              logger: quietLogger,
              issuer: idp.issuer,
              jwt: { audience: 'api' },
            },
          });
        } catch (error) {
          // Fastify awaits discovery while registering the plugin.
          expect(error).toMatchObject({ code: 'temporarily_unavailable', status: 503 });
          return;
        }
        try {
          expectUnavailable(await send(app.url, '/protected', { headers: bearer(await jwt()) }));
        } finally {
          await app.close();
        }
      });
    });

    describe('scope and brand rules on JWT claims', () => {
      const app = appFor(() => ({ guardOptions: jwtOptions() }));
      const get = async (
        path: string,
        claims: MintJwtClaims,
        headers: Record<string, string> = {},
      ) =>
        send(app().url, path, { headers: { ...bearer(await jwt(claims, 'ES256')), ...headers } });

      it('RFC 6750 §3.1: all-of scopes: present → 200, one missing → 403 insufficient_scope', async () => {
        expectOk(await get('/scopes/all', { scope: 'orders:write orders:read' }));
        expectRefusal(
          await get('/scopes/all', { scope: 'orders:read' }),
          403,
          insufficientScope(SCOPES_ALL),
          'insufficient_scope',
        );
      });

      it('any-of scopes from an scp list: one present → 200', async () => {
        expectOk(await get('/scopes/any', { scp: ['admin'] }));
      });

      it('brand: the token’s own brand claim decides; another or none → 403 invalid_brand', async () => {
        expectOk(await get('/brand/static', { brand: 'acme' }));
        expectRefusal(
          await get('/brand/static', { brand: 'globex' }),
          403,
          INVALID_BRAND,
          'invalid_brand',
        );
        expectRefusal(await get('/brand/static', {}), 403, INVALID_BRAND, 'invalid_brand');
        expectOk(await get('/brand/by-path/globex', { brand: 'globex' }));
        expectRefusal(
          await get('/brand/by-path/globex', { brand: 'acme' }),
          403,
          INVALID_BRAND,
          'invalid_brand',
        );
      });

      it('brand: a non-string brand claim is no brand; request headers cannot supply one', async () => {
        const answer = await get(
          '/brand/static',
          { extra: { brand: ['acme'] } },
          { 'x-brand': 'acme' },
        );
        expectRefusal(answer, 403, INVALID_BRAND, 'invalid_brand');
      });

      it('a claims predicate sees the JWT claims', async () => {
        expectOk(await get('/claims', { sub: 'alice' }));
        expectRefusal(
          await get('/claims', { sub: 'mallory' }),
          403,
          ACCESS_DENIED,
          'access_denied',
        );
      });
    });

    describe('verified JWTs are cached by token hash', () => {
      const app = appFor(() => ({ guardOptions: jwtOptions({ cache: {} }) }));

      it('a repeated token is served from the cache', async () => {
        const t = await jwt();
        expectOk(await send(app().url, '/protected', { headers: bearer(t) }));
        expectOk(await send(app().url, '/protected', { headers: bearer(t) }));
        expect(app().guard?.metrics()).toMatchObject({
          cacheHits: 1,
          cacheMisses: 1,
          jwksFetches: 1,
        });
      });
    });
  });
}
