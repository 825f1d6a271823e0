/**
 * "No raw token is ever echoed" (raw tokens are never kept in the
 * cache, logs or errors). Every error path we can provoke — malformed, over-long, duplicated,
 * unknown, expired, revoked, forged, upstream faults (including an upstream that echoes the
 * token back in its answer), our own credentials refused — is checked on every surface: the
 * rendered answer (status, headers, body), the guard's log lines, its diagnostics channels,
 * and the error object itself (message, stack and cause chain, which a framework may log).
 */
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import {
  createGuard,
  type GuardOptions,
  isTokenGuardError,
  type RequestLike,
  type TokenGuard,
} from '@tokenguard/core';
import { createIdentityServer, type Fault, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureOutput, leakedSecrets } from './support/capture.js';
import { errorAnswerProblem } from './support/challenge-grammar.js';

const REALM = 'hardening';
const TIMEOUT_MS = 300;

/** A token nobody could mistake for anything else in a log line. */
const distinctive = () => `LEAK${randomBytes(24).toString('base64url')}`;

interface Scenario {
  readonly name: string;
  /** The status the error table gives this path. */
  readonly status: 400 | 401 | 403 | 500 | 503;
  /** Builds the request (and injects any fault); returns it with the secrets it carries. */
  readonly arrange: (ctx: Context) => Promise<{ request: RequestLike; secrets: string[] }>;
  /** Which guard answers. */
  readonly guard: keyof Guards;
}

interface Guards {
  introspection: TokenGuard;
  clientCredentials: TokenGuard;
  auto: TokenGuard;
  /** An auto guard that has not fetched its JWKS yet. */
  autoUnfetched: TokenGuard;
  discovery: TokenGuard;
}

interface Context {
  readonly idp: IdentityServer;
}

const bearer = (token: string): RequestLike => ({
  method: 'GET',
  url: '/resource',
  headers: { authorization: `Bearer ${token}` },
});

/** A fault whose answer carries the token back, as a confused proxy or echo endpoint would. */
function echoing(status: number, contentType: string, body: (token: string) => string) {
  return (token: string): Fault => ({ kind: 'status', status, contentType, body: body(token) });
}

const INTROSPECTION_FAULTS: Array<[string, 503, (token: string) => Fault]> = [
  ['hang', 503, () => ({ kind: 'hang' })],
  ['slow drip', 503, () => ({ kind: 'drip', intervalMs: 20 })],
  ['connection reset', 503, () => ({ kind: 'reset' })],
  ['HTTP 500', 503, () => ({ kind: 'status', status: 500 })],
  ['HTML with 200', 503, () => ({ kind: 'html' })],
  ['JSON that does not parse', 503, () => ({ kind: 'non-json' })],
  ['JSON with wrong types', 503, () => ({ kind: 'wrong-types' })],
  ['a 10 MiB body', 503, () => ({ kind: 'oversized', bytes: 10 * 1024 * 1024 })],
  ['a redirect', 503, () => ({ kind: 'redirect', location: 'http://127.0.0.1:9/' })],
  [
    'a 502 whose body echoes the token',
    503,
    echoing(502, 'application/json', (t) => JSON.stringify({ error: t, error_description: t })),
  ],
  [
    'an HTML 200 that echoes the token',
    503,
    echoing(200, 'text/html', (t) => `<html>token ${t} not accepted</html>`),
  ],
  [
    'a JSON 200 that does not parse and echoes the token',
    503,
    echoing(200, 'application/json', (t) => `{"active": true, "sub": ${t}`),
  ],
  [
    'a JSON 200 with wrong types that echoes the token',
    503,
    echoing(200, 'application/json', (t) => JSON.stringify({ active: t, exp: t })),
  ],
  [
    'a 200 whose content type echoes the token',
    503,
    (t) => ({ kind: 'status', status: 200, contentType: `text/x-${t}`, body: '{}' }),
  ],
];

describe('hardening: no raw token is ever echoed, on any error path (cache keys, error answers)', () => {
  let idp: IdentityServer;
  const output = captureOutput({ diagnostics: true });
  let guards: Guards;
  const ctx = () => ({ idp });

  beforeAll(async () => {
    idp = await createIdentityServer({ jwtAlgorithms: ['ES256'] });
    const base = (extra: Partial<GuardOptions>): GuardOptions => ({
      realm: REALM,
      allowInsecureHttp: true,
      cache: false,
      logger: output.logger,
      ...extra,
    });
    const introspection = {
      endpoint: idp.introspectionEndpoint,
      clientAuth: { method: 'bearer' as const, token: idp.callerToken },
      http: { timeoutMs: TIMEOUT_MS },
      breakerThreshold: 0,
    };
    const auto: Partial<GuardOptions> = {
      strategy: 'auto',
      introspection,
      jwt: {
        jwksUri: idp.jwksUri,
        issuer: idp.issuer,
        audience: 'api',
        http: { timeoutMs: TIMEOUT_MS },
      },
    };
    guards = {
      introspection: createGuard(
        base({ introspection, token: { query: true, body: true }, scopes: ['admin'] }),
      ),
      clientCredentials: createGuard(
        base({
          introspection: {
            ...introspection,
            clientAuth: {
              method: 'client_credentials',
              tokenEndpoint: idp.tokenEndpoint,
              clientId: idp.defaultClient.clientId,
              clientSecret: idp.defaultClient.clientSecret,
            },
          },
        }),
      ),
      auto: createGuard(base(auto)),
      autoUnfetched: createGuard(base(auto)),
      discovery: createGuard(
        base({ issuer: idp.issuer, introspection: { ...introspection, endpoint: undefined } }),
      ),
    };
  });

  afterAll(async () => {
    output.stop();
    await Promise.all(Object.values(guards ?? {}).map((g) => g.close()));
    await idp?.close();
  });

  beforeEach(() => {
    idp.clearFaults();
    output.clear();
  });

  const scenarios: Scenario[] = [
    {
      name: 'RFC 6750 §2.1: a malformed token (characters outside b64token) → 400',
      status: 400,
      guard: 'introspection',
      arrange: async () => {
        const token = distinctive();
        return { request: bearer(`${token}$!"<>`), secrets: [token] };
      },
    },
    {
      name: 'RFC 6750 §3.1: an over-long Authorization header → 400',
      status: 400,
      guard: 'introspection',
      arrange: async () => {
        const token = distinctive();
        return { request: bearer(token.repeat(300)), secrets: [token] };
      },
    },
    {
      name: 'RFC 6750 §2: two Authorization headers → 400',
      status: 400,
      guard: 'introspection',
      arrange: async ({ idp: server }) => {
        const [a, b] = [server.mintToken(), distinctive()];
        return {
          request: {
            method: 'GET',
            url: '/',
            headers: { authorization: `Bearer ${a}` },
            rawHeaders: ['Authorization', `Bearer ${a}`, 'Authorization', `Bearer ${b}`],
          },
          secrets: [a, b],
        };
      },
    },
    {
      name: 'RFC 6750 §2: a token in the header and the query → 400',
      status: 400,
      guard: 'introspection',
      arrange: async ({ idp: server }) => {
        const [a, b] = [server.mintToken(), distinctive()];
        return {
          request: { ...bearer(a), url: `/resource?access_token=${b}` },
          secrets: [a, b],
        };
      },
    },
    {
      name: 'RFC 6750 §3.1: an unknown token → 401',
      status: 401,
      guard: 'introspection',
      arrange: async () => {
        const token = distinctive();
        return { request: bearer(token), secrets: [token] };
      },
    },
    {
      name: 'RFC 7662 §2.2: an expired token → 401',
      status: 401,
      guard: 'introspection',
      arrange: async ({ idp: server }) => {
        const token = server.mintToken({ expiresInSec: -60 });
        return { request: bearer(token), secrets: [token] };
      },
    },
    {
      name: 'RFC 7009: a revoked token → 401',
      status: 401,
      guard: 'introspection',
      arrange: async ({ idp: server }) => {
        const token = server.mintToken();
        server.revoke(token);
        return { request: bearer(token), secrets: [token] };
      },
    },
    {
      name: 'RFC 7662 §2.2: active:true with exp in the past → 401',
      status: 401,
      guard: 'introspection',
      arrange: async ({ idp: server }) => {
        const token = server.mintToken();
        server.injectFault('introspect', { kind: 'expired-active' }, 1);
        return { request: bearer(token), secrets: [token] };
      },
    },
    {
      name: 'RFC 6750 §3.1: a valid token without the required scope → 403',
      status: 403,
      guard: 'introspection',
      arrange: async ({ idp: server }) => {
        const token = server.mintToken({ scope: 'orders:read' });
        return { request: bearer(token), secrets: [token] };
      },
    },
    ...INTROSPECTION_FAULTS.map(
      ([label, status, fault]): Scenario => ({
        name: `error table: introspection ${label} → ${status}`,
        status,
        guard: 'introspection',
        arrange: async ({ idp: server }) => {
          const token = server.mintToken();
          server.injectFault('introspect', fault(token), 1);
          return { request: bearer(token), secrets: [token] };
        },
      }),
    ),
    ...([401, 403, 400] as const).map(
      (code): Scenario => ({
        name: `error table: introspection refuses our credentials (HTTP ${code}, echoing the token and our credential) → 500`,
        status: 500,
        guard: 'introspection',
        arrange: async ({ idp: server }) => {
          const token = server.mintToken();
          server.injectFault(
            'introspect',
            echoing(code, 'application/json', (t) =>
              JSON.stringify({ error: t, error_description: `${t} ${server.callerToken}` }),
            )(token),
            1,
          );
          return { request: bearer(token), secrets: [token, server.callerToken] };
        },
      }),
    ),
    ...([401, 403] as const).map(
      (code): Scenario => ({
        name: `error table: the token endpoint refuses our client credentials (HTTP ${code}, echoing them) → 500`,
        status: 500,
        guard: 'clientCredentials',
        arrange: async ({ idp: server }) => {
          const token = server.mintToken();
          const { clientId, clientSecret } = server.defaultClient;
          server.injectFault('token', {
            kind: 'status',
            status: code,
            body: JSON.stringify({
              error: clientSecret,
              error_description: `${clientId}:${clientSecret}`,
            }),
          });
          return { request: bearer(token), secrets: [token, clientSecret] };
        },
      }),
    ),
    {
      name: 'error table: the token endpoint answers non-JSON echoing our secret → 503',
      status: 503,
      guard: 'clientCredentials',
      arrange: async ({ idp: server }) => {
        const token = server.mintToken();
        const secret = server.defaultClient.clientSecret;
        server.injectFault('token', {
          kind: 'status',
          status: 200,
          contentType: 'application/json',
          body: `{"access_token": ${secret}`,
        });
        return { request: bearer(token), secrets: [token, secret] };
      },
    },
    ...(['alg-none', 'wrong-key', 'expired', 'unknown-kid', 'tampered-payload'] as const).map(
      (kind): Scenario => ({
        name: `RFC 9068 §4: a ${kind} JWT → 401`,
        status: 401,
        guard: 'auto',
        arrange: async ({ idp: server }) => {
          const token = await server.mintBadJwt(kind, { sub: distinctive() });
          return { request: bearer(token), secrets: [token, ...token.split('.')] };
        },
      }),
    ),
    {
      name: 'error table: the JWKS answers HTML echoing the token → 503',
      status: 503,
      guard: 'autoUnfetched',
      arrange: async ({ idp: server }) => {
        const token = await server.mintJwt({ sub: distinctive() }, { alg: 'ES256' });
        server.injectFault('jwks', echoing(200, 'text/html', () => `<html>${token}</html>`)(token));
        return { request: bearer(token), secrets: [token, ...token.split('.')] };
      },
    },
    {
      name: 'error table: discovery metadata answers 500 echoing the token → 503',
      status: 503,
      guard: 'discovery',
      arrange: async ({ idp: server }) => {
        const token = server.mintToken();
        server.injectFault(
          'metadata',
          echoing(500, 'application/json', (t) => JSON.stringify({ error: t }))(token),
        );
        return { request: bearer(token), secrets: [token] };
      },
    },
  ];

  for (const scenario of scenarios) {
    it(`${scenario.name}: the token appears in no answer, header, log line, diagnostics message or error object`, async () => {
      const { request, secrets } = await scenario.arrange(ctx());
      const guard = guards[scenario.guard];
      const error = await guard.authenticate(request).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isTokenGuardError(error)).toBe(true);
      const answer = guard.errorResponse(error);
      expect(answer.status).toBe(scenario.status);
      expect(errorAnswerProblem(answer, REALM)).toBeUndefined();
      const everything = [secrets, idp.callerToken, idp.defaultClient.clientSecret].flat();
      expect(leakedSecrets(JSON.stringify(answer), everything), 'answer').toEqual([]);
      expect(leakedSecrets(output.lines.join('\n'), everything), 'logs/diagnostics').toEqual([]);
      expect(leakedSecrets(inspect(error, { depth: 10 }), everything), 'error object').toEqual([]);
    });
  }
});
