/**
 * Sender-constrained tokens, run unchanged against each adapter: DPoP (RFC 9449) for local
 * JWTs and introspected opaque tokens, server nonces, modes per guard and per route, and
 * certificate-bound tokens (RFC 8705 §3) over real TLS on loopback. Status and challenge
 * are asserted exactly.
 */
import { request as httpsRequest } from 'node:https';
import type { GuardOptions, RefusalReason, TokenGuardLogger } from '@tokenguard/core';
import {
  type BadDpopProofKind,
  certificateBinding,
  createBadDpopProof,
  createDpopKey,
  createDpopProof,
  createIdentityServer,
  createTestCertificate,
  type DpopKey,
  dpopBinding,
  type IdentityServer,
  type TestCertificate,
} from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The fixed texts of the refusal reasons, from the source (not part of the public surface).
import { REASON_DESCRIPTIONS } from '../../packages/core/src/errors.js';
import { expectOk, expectRefusal, expectUnavailable } from './expect-answer.js';
import { type AdapterHarness, appPerBlock, describeWith, type RunningApp } from './harness.js';
import { type Answer, bearer, send } from './http.js';

const quietLogger: TokenGuardLogger = { warn() {}, error() {} };
const ALGS = 'algs="RS256 RS384 RS512 PS256 PS384 PS512 ES256 ES384 ES512 EdDSA Ed25519"';
const BOTH = `Bearer realm="test", DPoP realm="test", ${ALGS}`;
const bearerError = (error: string) =>
  `Bearer realm="test", error="${error}", DPoP realm="test", ${ALGS}`;
const dpopError = (error: string) =>
  `Bearer realm="test", DPoP realm="test", error="${error}", ${ALGS}`;
const DPOP_ONLY_INVALID = `DPoP realm="test", error="invalid_token", ${ALGS}`;
const BEARER_INVALID = 'Bearer realm="test", error="invalid_token"';

/** The proof attacks: each wrong in exactly the named way, refused with invalid_dpop_proof. */
export const DPOP_PROOF_ATTACKS: readonly [BadDpopProofKind, string][] = [
  ['wrong-htm', 'RFC 9449 §4.3 (8): htm is another method'],
  ['wrong-htu', 'RFC 9449 §4.3 (9): htu is another URI'],
  ['stale-iat', 'RFC 9449 §4.3 (11): iat outside the acceptance window'],
  ['future-iat', 'RFC 9449 §4.3 (11): iat in the future'],
  ['wrong-ath', 'RFC 9449 §4.3 (12): ath is the hash of another token'],
  ['no-ath', 'RFC 9449 §4.3 (12): no ath with an access token'],
  ['no-jti', 'RFC 9449 §4.2: no jti'],
  ['other-key', 'RFC 9449 §4.3 (12): signed by a key the token is not bound to'],
  ['private-key-embedded', 'RFC 9449 §4.3 (6): private key material in jwk'],
  ['alg-none', 'RFC 9449 §4.3 (5): alg none'],
  ['hs256', 'RFC 9449 §4.3 (5): a MAC algorithm (HS256)'],
  ['wrong-typ', 'RFC 9449 §4.3 (4): typ is not dpop+jwt'],
  ['bad-signature', 'RFC 9449 §4.3 (7): the signature does not verify'],
];

/** A GET over TLS, with or without a client certificate; the server's certificate is self-signed. */
function sendTls(
  base: string,
  path: string,
  headers: Record<string, string>,
  client?: TestCertificate,
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, base), {
      headers,
      agent: false,
      rejectUnauthorized: false,
      ...(client ? { cert: client.cert, key: client.key } : {}),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          body: /json/.test(res.headers['content-type'] ?? '') ? JSON.parse(text) : text,
          elapsedMs: performance.now() - started,
        });
      });
    });
    req.end();
  });
}

export function runSenderConstrainedConformance(harness: AdapterHarness): void {
  describe(`sender-constrained tokens: ${harness.name}`, () => {
    let idp: IdentityServer;
    let key: DpopKey;

    beforeAll(async () => {
      idp = await createIdentityServer();
      key = await createDpopKey();
    });
    afterAll(async () => {
      await idp.close();
    });

    /** Local JWTs and introspection side by side (auto), so both strategies are covered. */
    function options(extra: Partial<GuardOptions> = {}): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        logger: quietLogger,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
        },
        jwt: { issuer: idp.issuer, audience: 'api', jwksUri: idp.jwksUri },
        ...extra,
      };
    }

    const bound = {
      jwt: () => idp.mintJwt({ scope: 'orders:read', ...dpopBinding(key) }),
      opaque: async () => idp.mintToken({ scope: 'orders:read', ...dpopBinding(key) }),
    };

    async function dpopGet(
      app: RunningApp,
      path: string,
      token: string,
      proof?: string,
    ): Promise<Answer> {
      const headers: Record<string, string> = { authorization: `DPoP ${token}` };
      headers.dpop =
        proof ??
        (await createDpopProof(key, { method: 'GET', url: app.url + path, accessToken: token }));
      return send(app.url, path, { headers });
    }

    describe("dpop: 'allowed' — bearer and DPoP tokens", () => {
      const app = appPerBlock(harness, () => ({ guardOptions: options({ dpop: 'allowed' }) }));

      for (const kind of ['jwt', 'opaque'] as const) {
        it(`RFC 9449 §7.1: a DPoP-bound ${kind} token with a valid proof passes`, async () => {
          const token = await bound[kind]();
          const answer = await dpopGet(app(), '/protected', token);
          expectOk(answer);
          expect(answer.body.auth).toMatchObject({
            strategy: kind === 'jwt' ? 'jwt' : 'introspection',
            binding: 'dpop',
          });
        });

        it(`RFC 9449 §7.2: a DPoP-bound ${kind} token presented as bearer is refused`, async () => {
          const token = await bound[kind]();
          expectRefusal(
            await send(app().url, '/protected', { headers: bearer(token) }),
            401,
            bearerError('invalid_token'),
            'invalid_token',
          );
        });

        it(`RFC 9449 §11.1: a replayed proof (same jti) is refused for a ${kind} token`, async () => {
          const token = await bound[kind]();
          const proof = await createDpopProof(key, {
            method: 'GET',
            url: `${app().url}/protected`,
            accessToken: token,
          });
          expectOk(await dpopGet(app(), '/protected', token, proof));
          expectRefusal(
            await dpopGet(app(), '/protected', token, proof),
            401,
            dpopError('invalid_dpop_proof'),
            'invalid_dpop_proof',
          );
        });
      }

      it.each(DPOP_PROOF_ATTACKS)('%s: %s', async (kind) => {
        const token = await bound.jwt();
        const proof = await createBadDpopProof(key, kind, {
          method: 'GET',
          url: `${app().url}/protected`,
          accessToken: token,
        });
        expectRefusal(
          await dpopGet(app(), '/protected', token, proof),
          401,
          dpopError('invalid_dpop_proof'),
          'invalid_dpop_proof',
        );
      });

      it('RFC 9449 §4.3 (9): htu compared after normalisation (case of scheme and host, default port)', async () => {
        const token = await bound.opaque();
        const url = new URL(`${app().url}/protected`);
        const proof = await createDpopProof(key, {
          method: 'GET',
          url: `HTTP://${url.host.toUpperCase()}/protected?ignored=query#fragment`,
          accessToken: token,
        });
        expectOk(await dpopGet(app(), '/protected', token, proof));
      });

      it('RFC 9110 §7.2: a Host that is not host[:port] is 400 invalid_request, so a proof for one path never opens another', async () => {
        const authority = new URL(app().url).host;
        for (const host of [
          `${authority}/protected#`,
          `${authority}/protected?`,
          `${authority}/protected`,
          `user@${authority}`,
        ]) {
          const token = await bound.opaque();
          // A proof made for GET /protected, sent to GET /where under a Host naming /protected.
          const proof = await createDpopProof(key, {
            method: 'GET',
            url: `${app().url}/protected`,
            accessToken: token,
          });
          const answer = await send(app().url, '/where', {
            headers: { host, authorization: `DPoP ${token}`, dpop: proof },
          });
          expect({ host, status: answer.status }).toEqual({ host, status: 400 });
          // The guard's invalid_request, unless the HTTP server refused the Host itself
          // (@hono/node-server answers a plain-text 400 before any app code runs).
          if (typeof answer.body === 'object') expect(answer.body.error).toBe('invalid_request');
          else expect(answer.text).not.toContain('"auth"');
        }
      });

      it('RFC 9449 §4.3 (9): with a valid Host, a proof for GET /protected is refused on GET /where', async () => {
        const token = await bound.opaque();
        const proof = await createDpopProof(key, {
          method: 'GET',
          url: `${app().url}/protected`,
          accessToken: token,
        });
        expectRefusal(
          await dpopGet(app(), '/where', token, proof),
          401,
          dpopError('invalid_dpop_proof'),
          'invalid_dpop_proof',
        );
      });

      it('RFC 9449 §4.3 (1): no DPoP header with the DPoP scheme is refused', async () => {
        const token = await bound.jwt();
        expectRefusal(
          await send(app().url, '/protected', { headers: { authorization: `DPoP ${token}` } }),
          401,
          dpopError('invalid_dpop_proof'),
          'invalid_dpop_proof',
        );
      });

      it('RFC 9449 §4.3 (1): two DPoP headers are refused', async () => {
        const token = await bound.jwt();
        const url = `${app().url}/protected`;
        const one = await createDpopProof(key, { method: 'GET', url, accessToken: token });
        const two = await createDpopProof(key, { method: 'GET', url, accessToken: token });
        const answer = await send(app().url, '/protected', {
          headers: ['Authorization', `DPoP ${token}`, 'DPoP', one, 'DPoP', two],
        });
        expectRefusal(answer, 401, dpopError('invalid_dpop_proof'), 'invalid_dpop_proof');
      });

      it('RFC 9449 §7.1: an unbound token with the DPoP scheme is refused', async () => {
        const token = idp.mintToken({ scope: 'orders:read' });
        expectRefusal(
          await dpopGet(app(), '/protected', token),
          401,
          dpopError('invalid_token'),
          'invalid_token',
        );
      });

      it('a plain bearer token still passes; the challenge offers both schemes', async () => {
        expectOk(await send(app().url, '/protected', { headers: bearer(idp.mintToken()) }));
        const none = await send(app().url, '/protected');
        expect(none.status).toBe(401);
        expect(none.headers['www-authenticate']).toBe(BOTH);
      });

      it('the proof is for one method: POST with a GET proof is refused', async () => {
        const token = await bound.jwt();
        const proof = await createDpopProof(key, {
          method: 'GET',
          url: `${app().url}/form`,
          accessToken: token,
        });
        const answer = await send(app().url, '/form', {
          method: 'POST',
          headers: { authorization: `DPoP ${token}`, dpop: proof },
        });
        expectRefusal(answer, 401, dpopError('invalid_dpop_proof'), 'invalid_dpop_proof');
      });

      it('per route: requireDpop() refuses a bearer token with a DPoP-only challenge', async () => {
        expectRefusal(
          await send(app().url, '/dpop/required', { headers: bearer(idp.mintToken()) }),
          401,
          DPOP_ONLY_INVALID,
          'invalid_token',
        );
        expectOk(await dpopGet(app(), '/dpop/required', await bound.jwt()));
      });

      it("per route: requireDpop('disabled') refuses a DPoP token", async () => {
        expectRefusal(
          await dpopGet(app(), '/dpop/disabled', await bound.jwt()),
          401,
          BEARER_INVALID,
          'invalid_token',
        );
        expectOk(await send(app().url, '/dpop/disabled', { headers: bearer(idp.mintToken()) }));
      });
    });

    describeWith(
      harness,
      'tlsClientCertificate',
      'refusal reasons (errorDescriptions: true)',
      () => {
        const server = createTestCertificate('localhost');
        const client = createTestCertificate('client');
        const other = createTestCertificate('other-client');
        const app = appPerBlock(harness, () => ({
          guardOptions: options({
            dpop: { mode: 'allowed', nonce: true },
            mtls: { certificateFrom: 'socket' },
            errorDescriptions: true,
          }),
          tls: server,
        }));
        const because = (answer: Answer, error: string, reason: RefusalReason) => {
          expect(answer.status).toBe(401);
          expect(answer.body).toEqual({ error, error_description: REASON_DESCRIPTIONS[reason] });
        };
        /** A current server nonce (RFC 9449 §9), from the 401 a proof without one gets. */
        async function currentNonce(token: string): Promise<string> {
          const url = `${app().url}/protected`;
          const answer = await sendTls(app().url, '/protected', {
            authorization: `DPoP ${token}`,
            dpop: await createDpopProof(key, { method: 'GET', url, accessToken: token }),
          });
          return String(answer.headers['dpop-nonce']);
        }
        async function noncedProof(path: string, token: string): Promise<string> {
          const url = app().url + path;
          const nonce = await currentNonce(token);
          return createDpopProof(key, { method: 'GET', url, accessToken: token, nonce });
        }
        const dpopTls = (path: string, token: string, proof: string) =>
          sendTls(app().url, path, { authorization: `DPoP ${token}`, dpop: proof }, client);

        it('each possession failure names its reason', async () => {
          const token = await bound.jwt();
          because(
            await sendTls(app().url, '/protected', bearer(token), client),
            'invalid_token',
            'sender_constrained',
          );
          because(
            await dpopTls(
              '/protected',
              token,
              await createDpopProof(key, {
                method: 'GET',
                url: `${app().url}/protected`,
                accessToken: token,
              }),
            ),
            'use_dpop_nonce',
            'dpop_nonce_required',
          );
          because(
            await dpopTls('/protected', token, 'not.a.proof'),
            'invalid_dpop_proof',
            'dpop_proof_invalid',
          );
          const proof = await noncedProof('/protected', token);
          expectOk(await dpopTls('/protected', token, proof));
          because(
            await dpopTls('/protected', token, proof),
            'invalid_dpop_proof',
            'dpop_proof_replayed',
          );
          // Refused before any proof is looked at: the token is not DPoP-bound at all.
          because(
            await dpopTls('/protected', idp.mintToken({ scope: 'orders:read' }), 'not.a.proof'),
            'invalid_token',
            'dpop_not_bound',
          );
          because(
            await sendTls(app().url, '/dpop/required', bearer(idp.mintToken()), client),
            'invalid_token',
            'dpop_required',
          );
          because(
            await dpopTls('/dpop/disabled', token, await noncedProof('/dpop/disabled', token)),
            'invalid_token',
            'dpop_refused',
          );
          because(
            await sendTls(
              app().url,
              '/protected',
              bearer(idp.mintToken({ ...certificateBinding(client) })),
              other,
            ),
            'invalid_token',
            'certificate_mismatch',
          );
        });
      },
    );

    describe('RFC 9449 §11.1: a full replay cache (no shared store)', () => {
      const MAX = 3;
      const app = appPerBlock(harness, () => ({
        guardOptions: options({ dpop: { mode: 'allowed', maxReplayEntries: MAX } }),
      }));

      it('RFC 9449 §11.1: a full replay cache refuses new proofs (503, Retry-After) rather than forget a live one, so a captured proof never replays', async () => {
        const token = await bound.opaque();
        const victim = await createDpopProof(key, {
          method: 'GET',
          url: `${app().url}/protected`,
          accessToken: token,
        });
        expectOk(await dpopGet(app(), '/protected', token, victim));
        const statuses: number[] = [];
        for (let i = 0; i < MAX; i++) {
          const answer = await dpopGet(app(), '/protected', token);
          statuses.push(answer.status);
          if (answer.status === 503) expectUnavailable(answer);
        }
        // The victim's entry and MAX - 1 others fill the table; the next proof is refused.
        expect(statuses).toEqual([200, 200, 503]);
        expectRefusal(
          await dpopGet(app(), '/protected', token, victim),
          401,
          dpopError('invalid_dpop_proof'),
          'invalid_dpop_proof',
        );
      });
    });

    describe("dpop: 'required' — bearer tokens refused", () => {
      const app = appPerBlock(harness, () => ({ guardOptions: options({ dpop: 'required' }) }));

      it('RFC 9449 §7.1: a bearer token is refused with a DPoP challenge only', async () => {
        expectRefusal(
          await send(app().url, '/protected', { headers: bearer(idp.mintToken()) }),
          401,
          DPOP_ONLY_INVALID,
          'invalid_token',
        );
      });

      it('a DPoP token passes', async () => {
        expectOk(await dpopGet(app(), '/protected', await bound.opaque()));
      });
    });

    describe("dpop: 'disabled' (default) — bound tokens refused as before", () => {
      const app = appPerBlock(harness, () => ({ guardOptions: options() }));

      it('RFC 9449 §7.2: a DPoP-bound token is refused, with a Bearer-only challenge', async () => {
        const token = await bound.jwt();
        expectRefusal(
          await send(app().url, '/protected', { headers: bearer(token) }),
          401,
          BEARER_INVALID,
          'invalid_token',
        );
      });

      it('the DPoP scheme is not accepted: no bearer credentials (401, bare challenge)', async () => {
        const answer = await dpopGet(app(), '/protected', await bound.jwt());
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toBe('Bearer realm="test"');
      });
    });

    describe('RFC 9449 §9: server-provided nonces', () => {
      const app = appPerBlock(harness, () => ({
        guardOptions: options({ dpop: { mode: 'allowed', nonce: true } }),
      }));

      it('a proof without the nonce gets use_dpop_nonce and a DPoP-Nonce; the retry passes', async () => {
        const token = await bound.jwt();
        const first = await dpopGet(app(), '/protected', token);
        expectRefusal(first, 401, dpopError('use_dpop_nonce'), 'use_dpop_nonce');
        const nonce = first.headers['dpop-nonce'];
        expect(nonce).toMatch(/^[a-z0-9]+\.[A-Za-z0-9_-]+$/);
        const proof = await createDpopProof(key, {
          method: 'GET',
          url: `${app().url}/protected`,
          accessToken: token,
          nonce: nonce as string,
        });
        expectOk(await dpopGet(app(), '/protected', token, proof));
      });

      it('a nonce the server never issued is refused with a fresh one', async () => {
        const token = await bound.opaque();
        const proof = await createDpopProof(key, {
          method: 'GET',
          url: `${app().url}/protected`,
          accessToken: token,
          nonce: 'abc.forged',
        });
        const answer = await dpopGet(app(), '/protected', token, proof);
        expectRefusal(answer, 401, dpopError('use_dpop_nonce'), 'use_dpop_nonce');
        expect(answer.headers['dpop-nonce']).toBeTypeOf('string');
      });
    });

    describeWith(
      harness,
      'tlsClientCertificate',
      'RFC 8705 §3: certificate-bound tokens over TLS',
      () => {
        const server = createTestCertificate('localhost');
        const client = createTestCertificate('client');
        const other = createTestCertificate('other-client');
        const app = appPerBlock(harness, () => ({
          guardOptions: options({ mtls: { certificateFrom: 'socket' } }),
          tls: server,
        }));
        const mtlsBound = {
          jwt: () => idp.mintJwt({ scope: 'orders:read', ...certificateBinding(client) }),
          opaque: async () =>
            idp.mintToken({ scope: 'orders:read', ...certificateBinding(client) }),
        };

        for (const kind of ['jwt', 'opaque'] as const) {
          it(`a ${kind} token bound to the client certificate passes with that certificate`, async () => {
            const answer = await sendTls(
              app().url,
              '/protected',
              bearer(await mtlsBound[kind]()),
              client,
            );
            expectOk(answer);
            expect(answer.body.auth).toMatchObject({ binding: 'mtls' });
          });

          it(`a ${kind} token without a client certificate is refused (401 invalid_token)`, async () => {
            expectRefusal(
              await sendTls(app().url, '/protected', bearer(await mtlsBound[kind]())),
              401,
              BEARER_INVALID,
              'invalid_token',
            );
          });

          it(`a ${kind} token with another client certificate is refused (401 invalid_token)`, async () => {
            expectRefusal(
              await sendTls(app().url, '/protected', bearer(await mtlsBound[kind]()), other),
              401,
              BEARER_INVALID,
              'invalid_token',
            );
          });
        }

        it('an unbound token passes over TLS with or without a certificate', async () => {
          expectOk(await sendTls(app().url, '/protected', bearer(idp.mintToken()), client));
          expectOk(await sendTls(app().url, '/protected', bearer(idp.mintToken())));
        });
      },
    );

    describe('RFC 8705 §3: certificate from a trusted proxy header only', () => {
      const client = createTestCertificate('client');
      const app = appPerBlock(harness, () => ({
        guardOptions: options({
          mtls: { certificateFrom: { header: 'client-cert', trustedProxies: ['10.9.9.9'] } },
        }),
      }));

      it('a header from a peer that is not a trusted proxy is ignored (401 invalid_token)', async () => {
        const token = idp.mintToken({ ...certificateBinding(client) });
        const answer = await send(app().url, '/protected', {
          headers: { ...bearer(token), 'client-cert': `:${client.der.toString('base64')}:` },
        });
        expectRefusal(answer, 401, BEARER_INVALID, 'invalid_token');
      });

      describe('from a trusted proxy (the loopback peer)', () => {
        const proxied = appPerBlock(harness, () => ({
          guardOptions: options({
            mtls: { certificateFrom: { header: 'client-cert', trustedProxies: ['127.0.0.1'] } },
          }),
        }));
        const other = createTestCertificate('other-client');

        it('RFC 9440 Client-Cert with the bound certificate passes', async () => {
          const token = idp.mintToken({ ...certificateBinding(client) });
          const answer = await send(proxied().url, '/protected', {
            headers: { ...bearer(token), 'client-cert': `:${client.der.toString('base64')}:` },
          });
          expectOk(answer);
          expect(answer.body.auth).toMatchObject({ binding: 'mtls' });
        });

        it('another certificate in the header is refused (401 invalid_token)', async () => {
          const token = idp.mintToken({ ...certificateBinding(client) });
          const answer = await send(proxied().url, '/protected', {
            headers: { ...bearer(token), 'client-cert': `:${other.der.toString('base64')}:` },
          });
          expectRefusal(answer, 401, BEARER_INVALID, 'invalid_token');
        });
      });
    });

    describeWith(
      harness,
      'tlsClientCertificate',
      'without mtls: certificate-bound tokens refused',
      () => {
        const server = createTestCertificate('localhost');
        const client = createTestCertificate('client');
        const app = appPerBlock(harness, () => ({ guardOptions: options(), tls: server }));

        it('even with the right certificate, a certificate-bound token is refused', async () => {
          const token = idp.mintToken({ ...certificateBinding(client) });
          expectRefusal(
            await sendTls(app().url, '/protected', bearer(token), client),
            401,
            BEARER_INVALID,
            'invalid_token',
          );
        });
      },
    );
  });
}
