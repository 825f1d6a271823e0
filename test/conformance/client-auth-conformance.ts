/**
 * The client-authentication conformance suite: how the guard authenticates itself
 * to the identity service — a static or async bearer token, client_secret_basic/post,
 * private_key_jwt and a client_credentials token of its own — run unchanged against each
 * adapter (see harness.ts) and the real loopback identity server, over real HTTP. Status and
 * headers are asserted exactly; secrets are searched for in the raw response bytes.
 */
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { inspect } from 'node:util';
import type {
  ClientAuthentication,
  GuardOptions,
  IntrospectionOptions,
  TokenGuardLogger,
} from '@tokenguard/core';
import {
  type ClientKeyPair,
  createIdentityServer,
  type Fault,
  generateClientKeyPair,
  type IdentityServer,
} from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listen } from './adapters/listen.js';
import {
  expectOk,
  expectRefusal,
  expectServerError,
  expectUnavailable,
  sleep,
} from './expect-answer.js';
import { type AdapterHarness, type AppSpec, appPerBlock, type RunningApp } from './harness.js';
import { bearer, send } from './http.js';

const TIMEOUT_MS = 300;
/** "Within timeout + slack": generous enough for a loaded CI machine, far below a hang. */
const SLACK_MS = 1000;
/** For bursts: many calls share the pool, so the per-call timeout must not be what is tested. */
const BURST_TIMEOUT_MS = 5000;

const INVALID_TOKEN = 'Bearer realm="test", error="invalid_token"';

/**
 * RFC 6749 §2.3.1 / Appendix B: an id and a secret that break every client that skips the
 * form-encoding step before Basic (':' splits, '%' and '+' decode, ' ' and non-ASCII).
 */
const SPECIAL_ID = 'svc:ü %+/1';
const SPECIAL_SECRET = `s3:cr%t w+rd/ünï©ødé-${randomBytes(6).toString('hex')}`;
/** What a misconfigured guard sends instead: searched for in every answer and log line. */
const WRONG_SECRET = `wr:ng% s€cret+/${randomBytes(6).toString('hex')}`;

/** An RFC 7515 compact JWS (a client assertion, or a JWT of any kind). */
const COMPACT_JWS = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/;

/** RFC 6749 Appendix B encoding, computed independently of the core's encoder. */
const formEncode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);

/** Every shape in which a secret could escape: as is, URL- or form-encoded, inside Basic. */
function secretForms(clientId: string, secret: string): Record<string, string> {
  return {
    secret,
    'secret (URL-encoded)': encodeURIComponent(secret),
    'secret (form-encoded)': formEncode(secret),
    'secret (base64)': Buffer.from(secret, 'utf8').toString('base64'),
    'Basic credentials': Buffer.from(`${formEncode(clientId)}:${formEncode(secret)}`).toString(
      'base64',
    ),
  };
}

/**
 * The labels of `forbidden` values (and of any compact JWS, i.e. a client assertion) found
 * in `text`: only labels are reported, so a failing test never prints a secret.
 */
function leaks(text: string, forbidden: Readonly<Record<string, string>>): string[] {
  const found = Object.entries(forbidden)
    .filter(([, value]) => text.includes(value))
    .map(([label]) => label);
  if (COMPACT_JWS.test(text)) found.push('a compact JWS (client assertion)');
  return found;
}

/**
 * One GET over a bare socket, returning the raw answer bytes (status line, headers, body)
 * decoded both as UTF-8 and Latin-1, so nothing is hidden by parsing or by an encoding.
 */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      resolve(`${raw.toString('utf8')}\n${raw.toString('latin1')}`);
    });
    const lines = [
      `GET ${path} HTTP/1.1`,
      `Host: ${url.host}`,
      'Connection: close',
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    ];
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

interface TokenRelay {
  /** Use as `tokenEndpoint`. */
  readonly url: string;
  /** Every access token relayed, oldest first: the guard's own tokens. */
  readonly tokens: string[];
  close(): Promise<void>;
}

/**
 * A pass-through in front of the token endpoint that remembers the access tokens it relays,
 * so a test can revoke the guard's own token at the identity server (nothing else exposes it).
 */
async function startTokenRelay(target: string): Promise<TokenRelay> {
  const tokens: string[] = [];
  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type', 'accept']) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const upstream = await fetch(target, {
        method: 'POST',
        headers,
        body: Buffer.concat(chunks),
      });
      const text = await upstream.text();
      const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
      if (typeof token === 'string') tokens.push(token);
      res.writeHead(upstream.status, {
        'content-type': upstream.headers.get('content-type') ?? 'application/json',
      });
      res.end(text);
    } catch {
      res.writeHead(502).end();
    }
  });
  const running = await listen(server);
  return { url: `${running.url}/oauth/token`, tokens, close: running.close };
}

export function runClientAuthConformance(harness: AdapterHarness): void {
  describe(`client-auth conformance: ${harness.name}`, () => {
    let idp: IdentityServer;
    let esKey: ClientKeyPair;
    let rsKey: ClientKeyPair;
    /** A key the identity server has never seen. */
    let strangerKey: ClientKeyPair;
    /** Everything the guard logged or published on its diagnostics channels. */
    const observed: string[] = [];
    const logger: TokenGuardLogger = {
      warn: (message, detail) => observed.push(message, inspect(detail, { depth: 6 })),
      error: (message, detail) => observed.push(message, inspect(detail, { depth: 6 })),
    };
    const onMessage = (message: unknown) => observed.push(inspect(message, { depth: 6 }));
    const CHANNELS = ['tokenguard:auth:failure', 'tokenguard:upstream:error'];

    beforeAll(async () => {
      [esKey, rsKey, strangerKey] = await Promise.all([
        generateClientKeyPair('ES256'),
        generateClientKeyPair('RS256'),
        generateClientKeyPair('ES256'),
      ]);
      idp = await createIdentityServer({
        clients: [
          { clientId: SPECIAL_ID, clientSecret: SPECIAL_SECRET },
          { clientId: 'jwt-es256', jwks: { keys: [esKey.publicJwk] } },
        ],
      });
      // registerClient is the other way to add one: exercised here for the RS256 client.
      idp.registerClient({ clientId: 'jwt-rs256', jwks: { keys: [rsKey.publicJwk] } });
      for (const name of CHANNELS) subscribe(name, onMessage);
    });
    afterAll(async () => {
      for (const name of CHANNELS) unsubscribe(name, onMessage);
      await idp.close();
    });
    beforeEach(() => {
      idp.clearFaults();
      idp.resetCalls();
      observed.length = 0;
    });

    /** Guard options authenticating with `clientAuth`; cache off so every request asks. */
    function options(
      clientAuth: ClientAuthentication,
      introspection: Partial<IntrospectionOptions> = {},
      server: IdentityServer = idp,
    ): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        cache: false,
        logger,
        introspection: {
          endpoint: server.introspectionEndpoint,
          clientAuth,
          http: { timeoutMs: TIMEOUT_MS },
          // Every fault must really reach the identity server, not an open breaker.
          breakerThreshold: 0,
          ...introspection,
        },
      };
    }

    const appFor = (spec: () => AppSpec) => appPerBlock(harness, spec);

    /** A cold app of its own for one case (a guard with no token yet), always closed. */
    async function withApp(spec: AppSpec, use: (app: RunningApp) => Promise<void>): Promise<void> {
      const app = await harness.createApp(spec);
      try {
        await use(app);
      } finally {
        await app.close();
      }
    }

    const get = (app: RunningApp, token: string) =>
      send(app.url, '/protected', { headers: bearer(token) });
    const token = () => idp.mintToken({ sub: 'alice', scope: 'orders:read', brand: 'acme' });

    const clientCredentials = (extra: Partial<ClientAuthentication> = {}): ClientAuthentication =>
      ({
        method: 'client_credentials',
        tokenEndpoint: idp.tokenEndpoint,
        clientId: SPECIAL_ID,
        clientSecret: SPECIAL_SECRET,
        ...extra,
      }) as ClientAuthentication;

    let bearerFunctionCalls = 0;

    interface MethodCase {
      readonly name: string;
      readonly spec: () => AppSpec;
      /** Token requests the first validation makes (the guard fetches its own token). */
      readonly tokenRequests: 0 | 1;
      /** The bearer function is called once per introspection: caching is the user's choice. */
      readonly callsBearerFunction?: boolean;
    }

    const METHODS: readonly MethodCase[] = [
      {
        name: 'bearer, a static token (the contract’s example)',
        spec: () => ({ guardOptions: options({ method: 'bearer', token: idp.callerToken }) }),
        tokenRequests: 0,
      },
      {
        name: 'bearer, an async function',
        spec: () => ({
          guardOptions: options({
            method: 'bearer',
            token: async () => {
              bearerFunctionCalls += 1;
              return idp.callerToken;
            },
          }),
        }),
        tokenRequests: 0,
        callsBearerFunction: true,
      },
      {
        name: 'RFC 6749 §2.3.1 client_secret_basic, id and secret with : % space + and non-ASCII',
        spec: () => ({
          guardOptions: options({
            method: 'client_secret_basic',
            clientId: SPECIAL_ID,
            clientSecret: SPECIAL_SECRET,
          }),
        }),
        tokenRequests: 0,
      },
      {
        name: 'RFC 6749 §2.3.1 client_secret_post, id and secret with : % space + and non-ASCII',
        spec: () => ({
          guardOptions: options({
            method: 'client_secret_post',
            clientId: SPECIAL_ID,
            clientSecret: SPECIAL_SECRET,
          }),
        }),
        tokenRequests: 0,
      },
      {
        name: 'RFC 7523 private_key_jwt, ES256',
        spec: () => ({
          guardOptions: options({
            method: 'private_key_jwt',
            clientId: 'jwt-es256',
            privateKey: esKey.privateKey,
            kid: esKey.publicJwk.kid,
          }),
        }),
        tokenRequests: 0,
      },
      {
        name: 'RFC 7523 private_key_jwt, RS256',
        spec: () => ({
          guardOptions: options({
            method: 'private_key_jwt',
            clientId: 'jwt-rs256',
            privateKey: rsKey.privateKey,
            kid: rsKey.publicJwk.kid,
          }),
        }),
        tokenRequests: 0,
      },
      {
        name: 'RFC 6749 §4.4 client_credentials, token endpoint client_secret_basic (default)',
        spec: () => ({ guardOptions: options(clientCredentials()) }),
        tokenRequests: 1,
      },
      {
        name: 'RFC 6749 §4.4 client_credentials, token endpoint client_secret_post',
        spec: () => ({
          guardOptions: options(
            clientCredentials({ tokenEndpointAuthMethod: 'client_secret_post' }),
          ),
        }),
        tokenRequests: 1,
      },
      {
        name: 'RFC 6749 §4.4 client_credentials, token endpoint private_key_jwt',
        spec: () => ({
          guardOptions: options({
            method: 'client_credentials',
            tokenEndpoint: idp.tokenEndpoint,
            clientId: 'jwt-es256',
            tokenEndpointAuthMethod: 'private_key_jwt',
            privateKey: esKey.privateKey,
            kid: esKey.publicJwk.kid,
          }),
        }),
        tokenRequests: 1,
      },
      {
        name: 'RFC 8414 client_credentials, token and introspection endpoints from discovery',
        spec: () => ({
          guardOptions: {
            realm: 'test',
            allowInsecureHttp: true,
            cache: false,
            logger,
            issuer: idp.issuer,
            introspection: {
              clientAuth: {
                method: 'client_credentials',
                clientId: idp.defaultClient.clientId,
                clientSecret: idp.defaultClient.clientSecret,
              },
              breakerThreshold: 0,
            },
            http: { timeoutMs: TIMEOUT_MS },
          },
        }),
        tokenRequests: 1,
      },
    ];

    for (const method of METHODS) {
      describe(`RFC 7662 §2.1: ${method.name}`, () => {
        const app = appFor(method.spec);

        it('a valid token → 200 with the identity server’s claims', async () => {
          bearerFunctionCalls = 0;
          const answer = await get(app(), token());
          expectOk(answer);
          expect(answer.body.auth).toEqual({
            claims: expect.objectContaining({
              active: true,
              sub: 'alice',
              scope: 'orders:read',
              brand: 'acme',
            }),
            scopes: ['orders:read'],
            strategy: 'introspection',
            // The guard's `issuer`, when it names one (the discovery case).
            issuer: method.spec().guardOptions.issuer,
          });
          expect(idp.calls.introspect).toBe(1);
          expect(idp.calls.token).toBe(method.tokenRequests);
          expect(idp.calls.openidMetadata).toBe(0);
          // Fetched at most once: at startup (Fastify) or on first use (Express, Koa).
          expect(idp.calls.oauthMetadata).toBeLessThanOrEqual(1);
          expect(app().guard?.metrics().tokenEndpointCalls).toBe(method.tokenRequests);
          if (method.callsBearerFunction) expect(bearerFunctionCalls).toBe(1);
        });

        it('an unknown token → 401 invalid_token: the identity server’s verdict, credentials reused', async () => {
          bearerFunctionCalls = 0;
          const answer = await get(app(), `never-issued-${randomBytes(8).toString('hex')}`);
          expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
          expect(idp.calls.introspect).toBe(1);
          // A client_credentials token is reused until shortly before it expires.
          expect(idp.calls.token).toBe(0);
          if (method.callsBearerFunction) expect(bearerFunctionCalls).toBe(1);
        });
      });
    }

    describe('RFC 7523 §3: private_key_jwt at the introspection endpoint, a fresh jti each time', () => {
      const app = appFor(() => ({
        guardOptions: options({
          method: 'private_key_jwt',
          clientId: 'jwt-es256',
          privateKey: esKey.privateKey,
        }),
      }));

      it('two distinct uncached tokens both pass (the server refuses a replayed jti)', async () => {
        expectOk(await get(app(), token()));
        expectOk(await get(app(), token()));
        expect(idp.calls.introspect).toBe(2);
      });

      it('the same token twice with the cache off: two assertions, both accepted', async () => {
        const t = token();
        expectOk(await get(app(), t));
        expectOk(await get(app(), t));
        expect(idp.calls.introspect).toBe(2);
      });
    });

    describe('RFC 6749 §5.1 expires_in: the guard’s token is reused, then refreshed before expiry', () => {
      const TTL_SEC = 2;
      const SKEW_SEC = 1;
      let shortIdp: IdentityServer;
      beforeAll(async () => {
        shortIdp = await createIdentityServer({ accessTokenTtlSec: TTL_SEC });
      });
      afterAll(() => shortIdp.close());
      const app = appFor(() => ({
        guardOptions: options(
          {
            method: 'client_credentials',
            tokenEndpoint: shortIdp.tokenEndpoint,
            clientId: shortIdp.defaultClient.clientId,
            clientSecret: shortIdp.defaultClient.clientSecret,
            refreshSkewSec: SKEW_SEC,
          },
          { http: { timeoutMs: BURST_TIMEOUT_MS } },
          shortIdp,
        ),
      }));

      it('one token until expires_in − refreshSkewSec, then exactly one more for 20 waiting requests', async () => {
        const mint = () => shortIdp.mintToken({ scope: 'orders:read' });
        expectOk(await get(app(), mint()));
        // The token's lifetime is counted from before this request was sent.
        const firstDone = Date.now();
        expectOk(await get(app(), mint()));
        expectOk(await get(app(), mint()));
        expect(shortIdp.calls.token).toBe(1);

        // Past the refresh point (2 s − 1 s skew), before the server's own expiry.
        await sleep(firstDone + (TTL_SEC - SKEW_SEC) * 1000 + 100 - Date.now());
        const answers = await Promise.all(Array.from({ length: 20 }, () => get(app(), mint())));
        expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
        expect(shortIdp.calls.token).toBe(2);
        // Refreshed ahead of time: no introspection was refused and retried.
        expect(shortIdp.calls.introspect).toBe(23);
        expect(app().guard?.metrics().tokenEndpointCalls).toBe(2);
      });
    });

    describe('client_credentials single-flight at a cold start', () => {
      const app = appFor(() => ({
        guardOptions: options(clientCredentials(), { http: { timeoutMs: BURST_TIMEOUT_MS } }),
      }));

      it('200 concurrent requests with distinct uncached tokens → exactly 1 token request', async () => {
        // Slow the token answer so that every request is waiting for it.
        idp.injectFault('token', { kind: 'delay', ms: 100 }, 1);
        const tokens = Array.from({ length: 200 }, token);
        const answers = await Promise.all(tokens.map((t) => get(app(), t)));
        expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 200 }, () => 200));
        expect(idp.calls.token).toBe(1);
        expect(idp.calls.introspect).toBe(200);
        expect(app().guard?.metrics().tokenEndpointCalls).toBe(1);
      });
    });

    describe('a 401 from introspection: refresh once, retry once, then 500 (never 401)', () => {
      let relay: TokenRelay;
      beforeAll(async () => {
        relay = await startTokenRelay(idp.tokenEndpoint);
      });
      afterAll(() => relay.close());
      const app = appFor(() => ({
        guardOptions: options(clientCredentials({ tokenEndpoint: relay.url }), {
          http: { timeoutMs: BURST_TIMEOUT_MS },
        }),
      }));
      /** Makes sure the guard holds a valid token, then starts counting afresh. */
      async function warm(): Promise<void> {
        expectOk(await get(app(), token()));
        idp.resetCalls();
      }

      it('a forced 401 → one refresh, one retry → 200; exactly one extra token request', async () => {
        await warm();
        idp.injectFault('introspect', { kind: 'status', status: 401 }, 1);
        const before = relay.tokens.length;
        expectOk(await get(app(), token()));
        expect(idp.calls.token).toBe(1);
        expect(idp.calls.introspect).toBe(2);
        expect(relay.tokens.length).toBe(before + 1);
      });

      it('the guard’s own token revoked at the identity server → refreshed, retried → 200', async () => {
        await warm();
        idp.revoke(relay.tokens.at(-1)!);
        expectOk(await get(app(), token()));
        expect(idp.calls.token).toBe(1);
        expect(idp.calls.introspect).toBe(2);
      });

      it('its token revoked under 50 concurrent requests → all 200, exactly one refresh', async () => {
        await warm();
        idp.revoke(relay.tokens.at(-1)!);
        const answers = await Promise.all(Array.from({ length: 50 }, () => get(app(), token())));
        expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 50 }, () => 200));
        expect(idp.calls.token).toBe(1);
      });

      it('a persistent 401 → 500 server_error after one refresh and one retry; then recovers', async () => {
        await warm();
        idp.injectFault('introspect', { kind: 'status', status: 401 });
        const presented = token();
        expectServerError(await get(app(), presented));
        expect(idp.calls.token).toBe(1);
        expect(idp.calls.introspect).toBe(2);

        const raw = await rawGet(app().url, '/protected', bearer(presented));
        expect(raw).toMatch(/^HTTP\/1\.1 500 /);
        const ownTokens = Object.fromEntries(relay.tokens.map((t, i) => [`own token #${i}`, t]));
        expect(leaks(raw, { ...ownTokens, 'presented token': presented })).toEqual([]);
        expect(leaks(observed.join('\n'), ownTokens)).toEqual([]);

        idp.clearFaults();
        idp.resetCalls();
        expectOk(await get(app(), token()));
        // The token refreshed during the failure is valid: no new request.
        expect(idp.calls.token).toBe(0);
      });

      it('a 403 is not a stale token: no refresh, no retry → 500 server_error', async () => {
        await warm();
        idp.injectFault('introspect', { kind: 'status', status: 403 }, 1);
        expectServerError(await get(app(), token()));
        expect(idp.calls.token).toBe(0);
        expect(idp.calls.introspect).toBe(1);
      });
    });

    describe('token endpoint down → 503 with Retry-After, never 401, never cached', () => {
      const faults: Array<[string, Fault]> = [
        ['503', { kind: 'status', status: 503 }],
        ['500', { kind: 'status', status: 500 }],
        ['hang', { kind: 'hang' }],
        ['connection reset', { kind: 'reset' }],
        ['a body that is not JSON', { kind: 'non-json' }],
        ['JSON of the wrong types', { kind: 'wrong-types' }],
        ['an HTML page', { kind: 'html' }],
      ];

      for (const [label, fault] of faults) {
        it(`token endpoint ${label} → 503 within timeout + slack; the next request recovers`, async () => {
          await withApp({ guardOptions: options(clientCredentials()) }, async (app) => {
            idp.injectFault('token', fault, 1);
            const answer = await get(app, token());
            expectUnavailable(answer);
            expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
            expect(idp.calls.introspect).toBe(0);
            expectOk(await get(app, token()));
            expect(idp.calls.token).toBe(2);
          });
        });
      }

      it('a persistent outage: every request tries again (one token request each), all 503', async () => {
        await withApp({ guardOptions: options(clientCredentials()) }, async (app) => {
          idp.injectFault('token', { kind: 'status', status: 503 });
          expectUnavailable(await get(app, token()));
          expectUnavailable(await get(app, token()));
          expect(idp.calls.token).toBe(2);
          expect(idp.calls.introspect).toBe(0);
        });
      });

      it('the token endpoint unreachable (connection refused) → 503', async () => {
        const spec = {
          guardOptions: options(
            clientCredentials({ tokenEndpoint: 'http://127.0.0.1:1/oauth/token' }),
          ),
        };
        await withApp(spec, async (app) => {
          const answer = await get(app, token());
          expectUnavailable(answer);
          expect(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
          expect(idp.calls.introspect).toBe(0);
        });
      });
    });

    describe('wrong credentials → 500 server_error; no secret, token or assertion anywhere', () => {
      interface WrongCase {
        readonly name: string;
        readonly clientAuth: () => ClientAuthentication;
        readonly calls: { readonly token: number; readonly introspect: number };
      }
      const wrongSecret = { clientId: SPECIAL_ID, clientSecret: WRONG_SECRET };
      const cases: readonly WrongCase[] = [
        {
          name: 'client_credentials, wrong secret (client_secret_basic at the token endpoint)',
          clientAuth: () => clientCredentials({ clientSecret: WRONG_SECRET }),
          calls: { token: 1, introspect: 0 },
        },
        {
          name: 'client_credentials, wrong secret (client_secret_post at the token endpoint)',
          clientAuth: () =>
            clientCredentials({
              clientSecret: WRONG_SECRET,
              tokenEndpointAuthMethod: 'client_secret_post',
            }),
          calls: { token: 1, introspect: 0 },
        },
        {
          name: 'client_credentials, private_key_jwt signed with an unregistered key',
          clientAuth: () => ({
            method: 'client_credentials',
            tokenEndpoint: idp.tokenEndpoint,
            clientId: 'jwt-es256',
            tokenEndpointAuthMethod: 'private_key_jwt',
            privateKey: strangerKey.privateKey,
          }),
          calls: { token: 1, introspect: 0 },
        },
        {
          name: 'client_secret_basic, wrong secret',
          clientAuth: () => ({ method: 'client_secret_basic', ...wrongSecret }),
          calls: { token: 0, introspect: 1 },
        },
        {
          name: 'client_secret_post, wrong secret',
          clientAuth: () => ({ method: 'client_secret_post', ...wrongSecret }),
          calls: { token: 0, introspect: 1 },
        },
        {
          name: 'private_key_jwt signed with an unregistered key',
          clientAuth: () => ({
            method: 'private_key_jwt',
            clientId: 'jwt-es256',
            privateKey: strangerKey.privateKey,
          }),
          calls: { token: 0, introspect: 1 },
        },
      ];

      for (const c of cases) {
        describe(c.name, () => {
          const app = appFor(() => ({ guardOptions: options(c.clientAuth()) }));

          it('→ 500 server_error; raw answer, logs and diagnostics carry nothing secret', async () => {
            const presented = token();
            expectServerError(await get(app(), presented));
            expect(idp.calls).toMatchObject(c.calls);

            const raw = await rawGet(app().url, '/protected', bearer(presented));
            expect(raw).toMatch(/^HTTP\/1\.1 500 /);
            const forbidden = {
              ...secretForms(SPECIAL_ID, WRONG_SECRET),
              'presented token': presented,
              'caller token': idp.callerToken,
            };
            expect(leaks(raw, forbidden)).toEqual([]);
            expect(leaks(observed.join('\n'), forbidden)).toEqual([]);
          });
        });
      }
    });
  });
}
