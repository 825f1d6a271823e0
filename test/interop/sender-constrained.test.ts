/**
 * Sender-constrained tokens issued by oidc-provider (an authorization server nobody here
 * wrote), checked by tokenguard in an Express 5 app on loopback: DPoP-bound tokens
 * (RFC 9449) obtained with a DPoP proof at the token endpoint, opaque (introspected) and
 * JWT; and certificate-bound tokens (RFC 8705 §3) presented over real TLS.
 */
import { once } from 'node:events';
import { createServer as createTlsServer, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { GuardOptions } from '@tokenguard/core';
import { tokenGuard } from '@tokenguard/express';
import {
  createDpopKey,
  createDpopProof,
  createTestCertificate,
  type DpopKey,
  type TestCertificate,
} from '@tokenguard/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedOidcProvider, startOidcProvider } from './start-oidc-provider.js';

let op: StartedOidcProvider;
let key: DpopKey;
const serverCertificate = createTestCertificate('localhost');
const clientCertificate = createTestCertificate('client');
const otherCertificate = createTestCertificate('other');

beforeAll(async () => {
  op = await startOidcProvider();
  key = await createDpopKey('ES256');
});
afterAll(async () => {
  await op?.close();
});

interface App {
  readonly url: string;
  close(): Promise<void>;
}

/** Express 5 with the guard, over TLS that asks for (but does not judge) a client certificate. */
async function startApp(options: GuardOptions): Promise<App> {
  const app = express();
  const guard = tokenGuard(options);
  app.use(guard);
  app.get('/whoami', (req, res) => {
    res.json({
      binding: req.auth?.binding ?? null,
      strategy: req.auth?.strategy,
      cnf: req.auth?.claims.cnf,
    });
  });
  const server = createTlsServer(
    {
      cert: serverCertificate.cert,
      key: serverCertificate.key,
      requestCert: true,
      rejectUnauthorized: false,
    },
    app,
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    async close() {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
      await guard.guard.close();
    },
  };
}

function get(
  url: string,
  headers: Record<string, string>,
  client?: TestCertificate,
): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      headers,
      agent: false,
      rejectUnauthorized: false,
      ...(client ? { cert: client.cert, key: client.key } : {}),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        }),
      );
    });
    req.end();
  });
}

describe('oidc-provider × tokenguard: sender-constrained tokens', () => {
  let app: App;
  beforeAll(async () => {
    app = await startApp({
      issuer: op.issuer,
      allowInsecureHttp: true,
      strategy: 'auto',
      introspection: {
        // The opaque tokens are issued for their own resource (RFC 7662 §2.2 `aud`).
        audience: [op.opaqueResource],
        clientAuth: {
          method: 'client_secret_basic',
          clientId: op.resourceServer.clientId,
          clientSecret: op.resourceServer.clientSecret,
        },
      },
      jwt: { audience: op.jwtResource, requireTyp: true },
      dpop: 'allowed',
      mtls: { certificateFrom: 'socket' },
    });
  });
  afterAll(async () => {
    await app?.close();
  });

  const tokenProof = () => createDpopProof(key, { method: 'POST', url: op.tokenEndpoint });

  for (const [kind, resource] of [
    ['opaque (introspected)', () => op.opaqueResource],
    ['JWT (RFC 9068)', () => op.jwtResource],
  ] as const) {
    it(`RFC 9449: a DPoP-bound ${kind} token from oidc-provider passes with a proof, fails without`, async () => {
      const issued = await op.issueToken({
        scope: 'read',
        resource: resource(),
        dpopProof: await tokenProof(),
      });
      expect(issued.token_type).toBe('DPoP');
      const url = `${app.url}/whoami`;
      const proof = await createDpopProof(key, {
        method: 'GET',
        url,
        accessToken: issued.access_token,
      });
      const ok = await get(url, { authorization: `DPoP ${issued.access_token}`, dpop: proof });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ binding: 'dpop', cnf: { jkt: key.jkt } });
      // The same proof again is a replay; the token as a bearer token is a downgrade.
      const replay = await get(url, { authorization: `DPoP ${issued.access_token}`, dpop: proof });
      expect(replay.status).toBe(401);
      expect((replay.body as { error: string }).error).toBe('invalid_dpop_proof');
      const asBearer = await get(url, { authorization: `Bearer ${issued.access_token}` });
      expect(asBearer.status).toBe(401);
      expect((asBearer.body as { error: string }).error).toBe('invalid_token');
    });

    it(`RFC 8705 §3: a certificate-bound ${kind} token passes with its certificate only`, async () => {
      const issued = await op.issueToken({
        client: op.mtlsClient,
        scope: 'read',
        resource: resource(),
        clientCertificate: clientCertificate.cert,
      });
      const url = `${app.url}/whoami`;
      const headers = { authorization: `Bearer ${issued.access_token}` };
      const ok = await get(url, headers, clientCertificate);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        binding: 'mtls',
        cnf: { 'x5t#S256': clientCertificate.thumbprint },
      });
      expect((await get(url, headers)).status).toBe(401);
      expect((await get(url, headers, otherCertificate)).status).toBe(401);
    });
  }
});
