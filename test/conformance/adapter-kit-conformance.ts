/**
 * What the adapter kit gives every adapter, run unchanged against each (see harness.ts):
 * per-route optional authentication, an `onError` formatter (RFC 9457 problem details)
 * that leaves status and challenge alone, what a passed 5xx reveals, `requestProperty`,
 * logging through the app's request logger, startup (`ready()`) and guard ownership.
 */
import type { GuardOptions, TokenGuardError, TokenGuardLogger } from '@tokenguard/core';
import { createGuard } from '@tokenguard/core';
import type { ErrorFormatter, RequestLog } from '@tokenguard/core/adapter-kit';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectOk, expectRefusal } from './expect-answer.js';
import { type AdapterHarness, type AppSpec, appPerBlock, PASS_ERRORS_STATUS } from './harness.js';
import { bearer, send } from './http.js';

const BARE = 'Bearer realm="test"';
const INVALID_TOKEN = 'Bearer realm="test", error="invalid_token"';
const quietLogger: TokenGuardLogger = { warn() {}, error() {} };

/** RFC 9457 §3: problem details, in the app's own style. */
const problemDetails: ErrorFormatter = (error: TokenGuardError) => ({
  contentType: 'application/problem+json',
  body: { type: 'about:blank', title: error.description, status: error.status, code: error.code },
});

/** A request logger in pino's `(object, message)` order that keeps what it was given. */
function captureLog(): RequestLog & {
  lines: Array<{ level: string; detail: object; message: string }>;
} {
  const lines: Array<{ level: string; detail: object; message: string }> = [];
  return {
    lines,
    warn: (detail, message) => lines.push({ level: 'warn', detail, message }),
    error: (detail, message) => lines.push({ level: 'error', detail, message }),
  };
}

export function runAdapterKitConformance(harness: AdapterHarness): void {
  describe(`adapter kit conformance: ${harness.name}`, () => {
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

    function options(extra: Partial<GuardOptions> = {}): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        cache: false,
        logger: quietLogger,
        ...extra,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
          http: { timeoutMs: 300 },
          breakerThreshold: 0,
        },
      };
    }

    const appFor = (spec: () => AppSpec) => appPerBlock(harness, spec);

    describe('per-route optional authentication (the guard itself is required)', () => {
      const app = appFor(() => ({ guardOptions: options() }));

      it('an optional route passes a request without a token, with no auth attached', async () => {
        const answer = await send(app().url, '/optional');
        expectOk(answer);
        expect(answer.body.auth).toBeNull();
        expect(idp.calls.introspect).toBe(0);
      });

      it('an optional route still validates and attaches a token', async () => {
        const answer = await send(app().url, '/optional', {
          headers: bearer(idp.mintToken({ sub: 'opt' })),
        });
        expectOk(answer);
        expect(answer.body.auth.claims.sub).toBe('opt');
      });

      it('an optional route still refuses a bad token → 401 invalid_token', async () => {
        const answer = await send(app().url, '/optional', { headers: bearer('not-issued') });
        expectRefusal(answer, 401, INVALID_TOKEN, 'invalid_token');
      });

      it('the other routes stay required → 401 bare challenge', async () => {
        expectRefusal(await send(app().url, '/protected'), 401, BARE, 'missing_token');
      });
    });

    describe('onError: the app formats the body (RFC 9457), status and headers stay the guard’s', () => {
      const app = appFor(() => ({
        guardOptions: options(),
        adapterOptions: { onError: problemDetails },
      }));
      const problem = (status: number, code: string) => ({
        type: 'about:blank',
        title: expect.any(String),
        status,
        code,
      });

      it('no token → 401, the bare challenge, application/problem+json', async () => {
        const answer = await send(app().url, '/protected');
        expect(answer.status).toBe(401);
        expect(answer.headers['www-authenticate']).toBe(BARE);
        expect(answer.headers['cache-control']).toBe('no-store');
        expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(JSON.parse(answer.text)).toEqual(problem(401, 'missing_token'));
      });

      it('a route requirement → 403 with the insufficient_scope challenge, the app’s body', async () => {
        const answer = await send(app().url, '/scopes/all', {
          headers: bearer(idp.mintToken({ scope: 'orders:read' })),
        });
        expect(answer.status).toBe(403);
        expect(answer.headers['www-authenticate']).toBe(
          'Bearer realm="test", error="insufficient_scope", scope="orders:read orders:write"',
        );
        expect(JSON.parse(answer.text)).toEqual(problem(403, 'insufficient_scope'));
      });

      it('an outage → 503 with Retry-After and no challenge, the app’s body', async () => {
        idp.injectFault('introspect', { kind: 'status', status: 502 }, 1);
        const answer = await send(app().url, '/protected', { headers: bearer(idp.mintToken()) });
        expect(answer.status).toBe(503);
        expect(answer.headers['retry-after']).toMatch(/^\d+$/);
        expect(answer.headers['www-authenticate']).toBeUndefined();
        expect(JSON.parse(answer.text)).toEqual(problem(503, 'temporarily_unavailable'));
      });

      it('a valid token is untouched by the formatter', async () => {
        expectOk(await send(app().url, '/protected', { headers: bearer(idp.mintToken()) }));
      });
    });

    describe('passErrors: expose only below 500; a passed 5xx shows only its public description', () => {
      const app = appFor(() => ({
        guardOptions: options(),
        adapterOptions: { passErrors: true },
        detailedErrors: true,
      }));

      it('a 5xx reaches the framework with expose false, the fixed description, detail hidden', async () => {
        idp.injectFault('introspect', { kind: 'status', status: 502 }, 1);
        const answer = await send(app().url, '/protected', { headers: bearer(idp.mintToken()) });
        expect(answer.status).toBe(PASS_ERRORS_STATUS);
        expect(answer.body).toMatchObject({
          isTokenGuardError: true,
          status: 503,
          code: 'temporarily_unavailable',
          expose: false,
          message: 'The authorization service is temporarily unavailable',
          detail: expect.stringMatching(/introspection/),
          detailEnumerable: false,
        });
        expect(answer.body.stack).not.toContain(answer.body.detail);
      });

      it('a 4xx reaches the framework with expose true', async () => {
        const answer = await send(app().url, '/protected');
        expect(answer.body).toMatchObject({ status: 401, code: 'missing_token', expose: true });
      });
    });

    describe('requestProperty: the auth lands where the app asked', () => {
      const app = appFor(() => ({
        guardOptions: options(),
        adapterOptions: { requestProperty: 'tokenguard' },
      }));

      it('the handler finds it at the chosen property, and `auth` is left alone', async () => {
        const answer = await send(app().url, '/where', {
          headers: bearer(idp.mintToken({ sub: 'moved' })),
        });
        expectOk(answer);
        expect(answer.body).toEqual({ property: 'moved', auth: false });
      });

      it('route helpers read it there too', async () => {
        const t = idp.mintToken({ scope: 'orders:read orders:write' });
        expectOk(await send(app().url, '/scopes/all', { headers: bearer(t) }));
        const refused = await send(app().url, '/scopes/all', {
          headers: bearer(idp.mintToken({ scope: 'orders:read' })),
        });
        expect(refused.status).toBe(403);
      });

      it('a requestProperty that is not a property name is refused when the app is built', async () => {
        await expect(
          harness.createApp({
            guardOptions: options(),
            adapterOptions: { requestProperty: '__proto__' },
          }),
        ).rejects.toMatchObject({ name: 'TokenGuardConfigError', option: 'requestProperty' });
      });
    });

    if (harness.requestLogs) {
      describe('logs go through the app’s request logger (pino order: object, message)', () => {
        const log = captureLog();
        const app = appFor(() => ({ guardOptions: options(), requestLog: log }));
        const unguardedLog = captureLog();
        const unguarded = appFor(() => ({
          guardOptions: options(),
          withoutGuard: true,
          requestLog: unguardedLog,
        }));

        it('an outage is logged as a warning through the request logger', async () => {
          idp.injectFault('introspect', { kind: 'status', status: 503 }, 1);
          const t = idp.mintToken();
          await send(app().url, '/protected', { headers: bearer(t) });
          expect(log.lines).toContainEqual({
            level: 'warn',
            detail: expect.any(Object),
            message: expect.stringMatching(/^tokenguard: /),
          });
          expect(JSON.stringify(log.lines)).not.toContain(t);
        });

        it('a route helper without the guard answers 500 and logs why, once', async () => {
          for (let i = 0; i < 2; i++) {
            const answer = await send(unguarded().url, '/claims', {
              headers: bearer(idp.mintToken()),
            });
            expect(answer.status).toBe(500);
          }
          // Named as the app wrote it: `requireClaims()`, or the decorator `@RequireClaims()`.
          const why = unguardedLog.lines.filter((l) =>
            /(requireClaims|@RequireClaims)\(\)/.test(l.message),
          );
          expect(why).toEqual([
            { level: 'error', detail: {}, message: expect.stringMatching(/did not see/) },
          ]);
        });
      });
    }

    describe('a prebuilt guard behaves exactly like the one the adapter builds', () => {
      /** Runs `body` against an app sharing a guard built from `guardOptions`; closes both. */
      async function withShared(
        guardOptions: GuardOptions,
        spec: Omit<AppSpec, 'guardOptions' | 'guard'>,
        body: (url: string) => Promise<void>,
      ): Promise<void> {
        const shared = createGuard(guardOptions);
        try {
          const app = await harness.createApp({ ...spec, guardOptions, guard: shared });
          try {
            await body(app.url);
          } finally {
            await app.close();
          }
        } finally {
          await shared.close();
        }
      }

      it('RFC 6750 §2.2: a shared guard with token.body accepts a form-encoded access_token', async () => {
        await withShared(options({ token: { body: true } }), {}, async (url) => {
          const t = idp.mintToken({ sub: 'form-user' });
          const answer = await send(url, '/form', {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ access_token: t }).toString(),
          });
          expectOk(answer);
          expect(answer.body.auth.claims.sub).toBe('form-user');
        });
      });

      it('a shared guard’s adapter logs through the guard’s configured logger, never console', async () => {
        const lines: string[] = [];
        const logger: TokenGuardLogger = {
          warn: (message) => lines.push(`warn ${message}`),
          error: (message) => lines.push(`error ${message}`),
        };
        const failing: ErrorFormatter = () => {
          throw new Error('a bug in the formatter');
        };
        const consoleError = console.error;
        const consoleLines: unknown[] = [];
        console.error = (...args: unknown[]) => consoleLines.push(args);
        try {
          await withShared(
            options({ logger }),
            { adapterOptions: { onError: failing } },
            async (url) => {
              const answer = await send(url, '/protected');
              expectRefusal(answer, 401, BARE, 'missing_token');
            },
          );
        } finally {
          console.error = consoleError;
        }
        expect(lines).toContainEqual(expect.stringMatching(/^error tokenguard: onError failed/));
        expect(consoleLines).toEqual([]);
      });
    });

    describe('guard ownership and startup', () => {
      it('a guard the adapter built is closed with the app; a shared one is left open', async () => {
        const t = idp.mintToken({ sub: 'owner' });
        const built = await harness.createApp({ guardOptions: options() });
        const guard = built.guard;
        await built.close();
        await expect(guard?.verify(t)).rejects.toMatchObject({ status: 503 });

        const shared = createGuard(options());
        try {
          const app = await harness.createApp({ guardOptions: options(), guard: shared });
          expectOk(await send(app.url, '/protected', { headers: bearer(t) }));
          await app.close();
          await expect(shared.verify(t)).resolves.toMatchObject({ claims: { sub: 'owner' } });
        } finally {
          await shared.close();
        }
      });

      it('startup: an issuer the identity service contradicts fails ready(), naming no secret', async () => {
        const liar = await createIdentityServer({ issuer: 'http://other-issuer.example' });
        try {
          const spec: AppSpec = {
            awaitReady: true,
            guardOptions: {
              issuer: liar.url,
              allowInsecureHttp: true,
              logger: quietLogger,
              introspection: { clientAuth: { method: 'bearer', token: liar.callerToken } },
            },
          };
          await expect(harness.createApp(spec)).rejects.toMatchObject({
            name: 'TokenGuardConfigError',
          });
        } finally {
          await liar.close();
        }
      });
    });
  });
}
