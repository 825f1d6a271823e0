/**
 * Several issuers against two real oidc-provider instances (authorization servers nobody here
 * wrote), for each adapter: each provider's JWT access tokens (keys from its own discovery)
 * and opaque tokens (introspected at its own endpoint, tried in order) pass and name their
 * issuer; a well-signed token from a third, untrusted server is refused without any request
 * to it.
 */
import type { GuardOptions, IssuerOptions } from '@tokenguard/core';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteropApp, InteropHarness } from './run-interop-suite.js';
import { type StartedOidcProvider, startOidcProvider } from './start-oidc-provider.js';

export function runMultiIssuerInterop(harness: InteropHarness): void {
  describe(`${harness.name} × two oidc-provider issuers`, () => {
    let first: StartedOidcProvider;
    let second: StartedOidcProvider;
    let stranger: IdentityServer;
    let app: InteropApp;

    const entry = (op: StartedOidcProvider): IssuerOptions => ({
      issuer: op.issuer,
      strategy: 'auto',
      // Endpoints and keys from each provider's own discovery document.
      jwt: { audience: op.jwtResource },
      introspection: {
        clientAuth: {
          method: 'client_secret_basic',
          clientId: op.resourceServer.clientId,
          clientSecret: op.resourceServer.clientSecret,
        },
      },
    });

    beforeAll(async () => {
      [first, second, stranger] = await Promise.all([
        startOidcProvider(),
        startOidcProvider(),
        createIdentityServer(),
      ]);
      const options: GuardOptions = {
        allowInsecureHttp: true,
        issuers: [entry(first), entry(second)],
      };
      app = await harness.start(options);
    });
    afterAll(async () => {
      await app?.close();
      await Promise.all([first?.close(), second?.close(), stranger?.close()]);
    });

    const whoami = (token: string) =>
      fetch(`${app.url}/whoami`, { headers: { authorization: `Bearer ${token}` } });

    it.each([
      ['first', () => first],
      ['second', () => second],
    ])(
      'RFC 9068: the %s provider’s JWT access token passes and names its issuer',
      async (_label, op) => {
        const issued = await op().issueToken({ resource: op().jwtResource, scope: 'read' });
        const answer = await whoami(issued.access_token);
        expect(answer.status).toBe(200);
        expect(await answer.json()).toMatchObject({
          strategy: 'jwt',
          issuer: op().issuer,
          iss: op().issuer,
        });
      },
    );

    it.each([
      ['first', () => first],
      ['second', () => second],
    ])(
      'RFC 7662: the %s provider’s opaque token passes after trying the issuers in order',
      async (_label, op) => {
        const issued = await op().issueToken({ scope: 'read' });
        const answer = await whoami(issued.access_token);
        expect(answer.status).toBe(200);
        expect(await answer.json()).toMatchObject({
          strategy: 'introspection',
          issuer: op().issuer,
        });
      },
    );

    it('a token from an issuer neither provider is → 401, and it is never contacted', async () => {
      const answer = await whoami(await stranger.mintJwt({ aud: first.jwtResource }));
      expect(answer.status).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="invalid_token"',
      );
      expect(stranger.calls).toMatchObject({ jwks: 0, oauthMetadata: 0, openidMetadata: 0 });
    });

    it('neither provider reported internal errors', () => {
      expect([...first.serverErrors, ...second.serverErrors]).toEqual([]);
    });
  });
}
