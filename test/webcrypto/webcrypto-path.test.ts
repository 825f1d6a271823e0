/**
 * This run's node:crypto has no `verify` (vitest.webcrypto.config.ts), so verify-jwt.ts checks
 * signatures with WebCrypto: proven here on every algorithm family, then by the JWT suites.
 */
import * as nodeCrypto from 'node:crypto';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createGuard } from '../../packages/core/src/create-guard.js';

let idp: IdentityServer;
beforeAll(async () => {
  idp = await createIdentityServer({ jwtAlgorithms: ['RS256', 'ES256', 'EdDSA'] });
});
afterAll(async () => {
  await idp?.close();
});

it('node:crypto offers no verify in this run (the WebCrypto path is the one under test)', () => {
  expect((nodeCrypto as { verify?: unknown }).verify).toBeUndefined();
});

it.each(['RS256', 'ES256', 'EdDSA'] as const)(
  '%s: a valid JWT passes, a tampered one is 401',
  async (alg) => {
    const guard = createGuard({
      issuer: idp.issuer,
      jwt: { audience: 'api', algorithms: [alg] },
      allowInsecureHttp: true,
    });
    try {
      const token = await idp.mintJwt({ sub: `webcrypto-${alg}` }, { alg });
      expect((await guard.verify(token)).claims.sub).toBe(`webcrypto-${alg}`);
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const flipped = `${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
      const error = await guard.verify(`${header}.${payload}.${flipped}`).catch((e: unknown) => e);
      expect(guard.errorResponse(error).status).toBe(401);
    } finally {
      await guard.close();
    }
  },
);
