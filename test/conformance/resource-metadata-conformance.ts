/**
 * RFC 9728 Protected Resource Metadata, run unchanged against each adapter: the document at
 * the well-known path and its path-suffixed form (§3.1), served without a token and without
 * calling the identity service, and `resource_metadata` in every challenge (§5.1), so a client
 * holding nothing but the resource's URL discovers the authorization server from a 401.
 */
import type { GuardOptions, TokenGuardLogger } from '@tokenguard/core';
import type { IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectRefusal } from './expect-answer.js';
import { type AdapterHarness, type RunningApp, SCOPES_ALL } from './harness.js';
import { bearer, send } from './http.js';
import { sharedIdentityServer } from './shared-identity-servers.js';

const RESOURCE = 'https://api.example.test/mcp';
const METADATA_URL = 'https://api.example.test/.well-known/oauth-protected-resource/mcp';
const WITH_METADATA = `resource_metadata="${METADATA_URL}"`;
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

export function runResourceMetadataConformance(harness: AdapterHarness): void {
  describe(`RFC 9728 protected resource metadata: ${harness.name}`, () => {
    let idp: IdentityServer;
    let app: RunningApp;

    function options(extra: Partial<GuardOptions> = {}): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        cache: false,
        logger: quietLogger,
        issuer: idp.issuer,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
        },
        resourceMetadata: {
          resource: RESOURCE,
          scopesSupported: ['orders:read', 'orders:write'],
          resourceName: 'Orders API',
          extra: { resource_policy_uri: 'https://api.example.test/policy' },
        },
        ...extra,
      };
    }

    beforeAll(async () => {
      idp = await sharedIdentityServer(0);
      app = await harness.createApp({ guardOptions: options() });
    });
    afterAll(async () => {
      await app.close();
    });
    beforeEach(() => {
      idp.resetCalls();
    });

    const expected = () => ({
      resource: RESOURCE,
      authorization_servers: [idp.issuer],
      scopes_supported: ['orders:read', 'orders:write'],
      bearer_methods_supported: ['header'],
      resource_name: 'Orders API',
      resource_policy_uri: 'https://api.example.test/policy',
    });

    it.each([
      [
        'RFC 9728 §3.1: the path-suffixed well-known URI',
        '/.well-known/oauth-protected-resource/mcp',
      ],
      ['RFC 9728 §3: the plain well-known URI', '/.well-known/oauth-protected-resource'],
      ['a query on the well-known URI', '/.well-known/oauth-protected-resource?x=1'],
    ])('%s serves the document without a token', async (_label, path) => {
      const answer = await send(app.url, path);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.headers['www-authenticate']).toBeUndefined();
      expect(answer.body).toEqual(expected());
      expect(idp.calls.introspect).toBe(0);
    });

    it('RFC 9728 §3.1: HEAD is answered too', async () => {
      const answer = await send(app.url, '/.well-known/oauth-protected-resource/mcp', {
        method: 'HEAD',
      });
      expect(answer.status).toBe(200);
      expect(answer.text).toBe('');
    });

    it('other methods on the well-known path are not the document: the guard answers', async () => {
      const answer = await send(app.url, '/.well-known/oauth-protected-resource', {
        method: 'POST',
      });
      expectRefusal(answer, 401, `Bearer realm="test", ${WITH_METADATA}`, 'missing_token');
    });

    it('RFC 9728 §5.1: a 401 without a token points at the metadata', async () => {
      expectRefusal(
        await send(app.url, '/protected'),
        401,
        `Bearer realm="test", ${WITH_METADATA}`,
        'missing_token',
      );
    });

    it('RFC 9728 §5.1: a 401 for an invalid token points at the metadata', async () => {
      const token = idp.mintToken({ expiresInSec: -60 });
      expectRefusal(
        await send(app.url, '/protected', { headers: bearer(token) }),
        401,
        `Bearer realm="test", error="invalid_token", ${WITH_METADATA}`,
        'invalid_token',
      );
    });

    it('RFC 9728 §5.1: a 403 insufficient_scope points at the metadata too', async () => {
      // With no audience configured, the resource identifier is the expected audience.
      const token = idp.mintToken({ scope: 'orders:read', extra: { aud: RESOURCE } });
      expectRefusal(
        await send(app.url, '/scopes/all', { headers: bearer(token) }),
        403,
        `Bearer realm="test", error="insufficient_scope", scope="${SCOPES_ALL.join(' ')}", ${WITH_METADATA}`,
        'insufficient_scope',
      );
    });

    it('RFC 8707: a token issued for another resource, or for none, is refused', async () => {
      for (const extra of [{ aud: 'https://other.example.test/api' }, {}]) {
        const token = idp.mintToken({ scope: SCOPES_ALL.join(' '), extra });
        expectRefusal(
          await send(app.url, '/scopes/all', { headers: bearer(token) }),
          401,
          `Bearer realm="test", error="invalid_token", ${WITH_METADATA}`,
          'invalid_token',
        );
      }
    });

    it('a client discovers the authorization server from a 401 alone', async () => {
      const refusal = await send(app.url, '/protected');
      const pointer = /resource_metadata="([^"]+)"/.exec(refusal.headers['www-authenticate'] ?? '');
      expect(pointer?.[1]).toBe(METADATA_URL);
      // The app runs on loopback, not at the resource's host: fetch the same path here.
      const document = await send(app.url, new URL(pointer?.[1] as string).pathname);
      const [issuer] = document.body.authorization_servers as string[];
      const metadata = await send(issuer as string, '/.well-known/oauth-authorization-server');
      expect(metadata.body.issuer).toBe(idp.issuer);
      expect(metadata.body.token_endpoint).toBe(idp.tokenEndpoint);
    });

    it('RFC 9728 §2: bearer_methods_supported follows the enabled token locations', async () => {
      const other = await harness.createApp({
        guardOptions: options({ token: { body: true, query: true } }),
      });
      try {
        const answer = await send(other.url, '/.well-known/oauth-protected-resource/mcp');
        expect(answer.body.bearer_methods_supported).toEqual(['header', 'body', 'query']);
      } finally {
        await other.close();
      }
    });

    it('RFC 9728 §2: a resource with a fragment is refused at startup', async () => {
      await expect(
        harness.createApp({
          guardOptions: options({ resourceMetadata: { resource: `${RESOURCE}#top` } }),
        }),
      ).rejects.toMatchObject({ code: 'invalid_option', option: 'resourceMetadata.resource' });
    });

    if (!harness.guardIsGlobal) {
      describe('RFC 9728 §3: a guard mounted on one route (the well-known path never reaches it)', () => {
        const PATHS = [
          '/.well-known/oauth-protected-resource/mcp',
          '/.well-known/oauth-protected-resource',
        ];

        /** The guard on `/api/protected` only; `lines`: what its logger was told. */
        async function routeMounted(metadataHandler: boolean) {
          const lines: string[] = [];
          const logger: TokenGuardLogger = {
            warn: (message) => lines.push(message),
            error: (message) => lines.push(message),
          };
          const routed = await harness.createApp({
            guardOptions: options({ logger }),
            routeMounted: { metadataHandler },
          });
          return { lines, routed };
        }

        it('serves the document through resourceMetadataHandler, identical to a globally mounted guard’s', async () => {
          const { lines, routed } = await routeMounted(true);
          try {
            for (const path of PATHS) {
              for (const method of ['GET', 'HEAD']) {
                const global = await send(app.url, path, { method });
                const served = await send(routed.url, path, { method });
                expect(served.status).toBe(200);
                expect(served.text).toBe(global.text);
                expect(served.headers['content-type']).toBe(global.headers['content-type']);
                expect(served.headers['cache-control']).toBe(global.headers['cache-control']);
              }
            }
            expect((await send(routed.url, PATHS[0] as string)).body).toEqual(expected());
            // The guarded route still points clients at the document (§5.1).
            expectRefusal(
              await send(routed.url, '/api/protected'),
              401,
              `Bearer realm="test", ${WITH_METADATA}`,
              'missing_token',
            );
            expect(lines).toEqual([]);
            expect(idp.calls.introspect).toBe(0);
          } finally {
            await routed.close();
          }
        });

        it('without the handler, the guard’s logger says why the document is not served and what to mount', async () => {
          const { lines, routed } = await routeMounted(false);
          try {
            // The first request through the guard shows where it is mounted (Fastify: startup).
            await send(routed.url, '/api/protected');
            await send(routed.url, '/api/protected');
            expect(lines).toEqual([
              expect.stringMatching(
                /^tokenguard: resourceMetadata is set, but this guard is mounted (on|under the prefix) \/api.*Mount resourceMetadataHandler\(guard\) at the app's root\.$/,
              ),
            ]);
            expect((await send(routed.url, PATHS[1] as string)).status).toBe(404);
          } finally {
            await routed.close();
          }
        });
      });
    }

    it('without resourceMetadata the well-known path is an ordinary protected path', async () => {
      const plain = await harness.createApp({
        guardOptions: options({ resourceMetadata: undefined }),
      });
      try {
        const answer = await send(plain.url, '/.well-known/oauth-protected-resource');
        expectRefusal(answer, 401, 'Bearer realm="test"', 'missing_token');
      } finally {
        await plain.close();
      }
    });
  });
}
