/**
 * The upstream fault matrix, through the core guard: for each
 * upstream the guard talks to — introspection, the token endpoint (client_credentials), the
 * JWKS, discovery metadata — and each fault — hang, slow drip, reset, refused connection, 5xx,
 * HTML with 200, JSON of the wrong types, `active:true` with a past `exp`, a 10 MiB body, a
 * redirect, 401/403 — the answer is the error table's row within timeout + 100 ms, the guard's
 * sockets are released, nothing is cached, and the very next healthy answer is accepted.
 *
 * Both outbound transports run the whole matrix: undici's pool and a WHATWG `fetch` (what
 * runtimes without undici's pool use), with the same rows, deadlines and socket accounting.
 *
 * Real loopback servers only: the @tokenguard/testing server injects the faults, a counting
 * TCP proxy in front of it shows which sockets the guard keeps, stopping that proxy gives a
 * refused connection, and a separate server is the redirect target that must see no request.
 */
import {
  type AuthContext,
  createGuard,
  isTokenGuardError,
  type RequestLike,
} from '@tokenguard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { captureOutput, leakedSecrets } from './support/capture.js';
import { tableProblem } from './support/error-table.js';
import {
  cellsFor,
  createFaultFixture,
  type FaultFixture,
  pastRememberedOutage,
  SLACK_MS,
  TIMEOUT_MS,
  UPSTREAM_KINDS,
} from './support/fault-fixture.js';
import { startTinyServer } from './support/loopback.js';
import { TRANSPORTS } from './support/transports.js';

const bearer = (token: string): RequestLike => ({
  method: 'GET',
  url: '/resource',
  headers: { authorization: `Bearer ${token}` },
});

for (const transport of TRANSPORTS) {
  describe(`hardening: upstream fault matrix through the core guard (the README error table), ${transport.name}`, () => {
    let fixture: FaultFixture;
    const output = captureOutput();

    beforeAll(async () => {
      fixture = await createFaultFixture();
    });
    afterAll(async () => {
      await fixture?.close();
    });
    beforeEach(async () => {
      await fixture.heal();
      output.clear();
    });

    for (const kind of UPSTREAM_KINDS) {
      describe(kind.name, () => {
        for (const cell of cellsFor(kind)) {
          const row = cell.row(kind);
          it(`${kind.name} ${cell.name} → ${row} within timeout + ${SLACK_MS} ms; sockets released; nothing cached; recovers on the next healthy answer`, async () => {
            const { idp, proxy, target } = fixture;
            const upstream = fixture.upstreams.find((u) => u.name === kind.name);
            if (upstream === undefined) throw new Error(`no upstream ${kind.name}`);
            const outbound = transport.use();
            const options = upstream.guardOptions(output.logger);
            const guard = createGuard({
              ...options,
              http: { ...options.http, ...outbound.options.http },
            });
            try {
              expect(await proxy.settle(0)).toBe(0);
              const token = await upstream.token('fault-user');
              await fixture.inject(upstream, cell);

              const started = performance.now();
              const error = await guard.authenticate(bearer(token)).then(
                () => undefined,
                (e: unknown) => e,
              );
              const elapsed = performance.now() - started;

              expect(isTokenGuardError(error), String(error)).toBe(true);
              expect.soft(tableProblem(guard.errorResponse(error), row)).toBeUndefined();
              expect.soft(elapsed).toBeLessThan(TIMEOUT_MS + SLACK_MS);
              // The guard closed what it could not finish; a completed exchange may stay pooled.
              const pooled = cell.socketsAfter(upstream);
              expect.soft(await proxy.settle(pooled), 'open sockets').toBeLessThanOrEqual(pooled);
              expect.soft(target.requests, 'the redirect target was reached').toBe(0);
              expect
                .soft(leakedSecrets(output.lines.join('\n'), [token, idp.callerToken]))
                .toEqual([]);

              // Recovery: the next healthy answer is used, with exactly one more upstream call for
              // the same token (nothing about the fault was cached). A 401 verdict is cached as
              // inactive by design, so that cell recovers with another token.
              await fixture.heal();
              const next = row === 401 ? await upstream.token('recovered-user') : token;
              const before = upstream.calls();
              const recover = () => guard.authenticate(bearer(next));
              const auth = (await (upstream.remembersOutage
                ? pastRememberedOutage(recover)
                : recover()
              ).catch((e: unknown) => e)) as AuthContext | Error;
              expect(
                auth instanceof Error ? `refused: ${auth.message}` : auth?.claims.sub,
                'recovery',
              ).toBe(row === 401 ? 'recovered-user' : 'fault-user');
              expect(upstream.calls() - before, 'upstream calls during recovery').toBe(1);
            } finally {
              await guard.close();
              await outbound.release();
            }
            // Closing the guard (and a caller's own pool) releases every socket it had.
            expect(await proxy.settle(0)).toBe(0);
          });
        }
      });
    }

    it('close() while an introspection call hangs: the pending request is answered 503 and its socket closed (no waiting for the timeout)', async () => {
      const { idp, proxy } = fixture;
      const upstream = fixture.upstreams.find((u) => u.name === 'introspection');
      const options = upstream?.guardOptions(output.logger);
      if (options?.introspection === undefined) throw new Error('no introspection upstream');
      // A deadline far past the test's own timeout: only close() can end this request in time.
      const outbound = transport.use();
      const guard = createGuard({
        ...options,
        ...outbound.options,
        introspection: { ...options.introspection, http: { timeoutMs: 60_000 } },
      });
      idp.injectFault('introspect', { kind: 'hang' });
      const before = idp.calls.introspect;
      const pending = guard.authenticate(bearer(idp.mintToken())).then(
        () => undefined,
        (e: unknown) => e,
      );
      // Wait until the request is really in flight at the upstream.
      while (idp.calls.introspect === before) await new Promise((r) => setTimeout(r, 5));
      await guard.close();
      expect(tableProblem(guard.errorResponse(await pending), 503)).toBeUndefined();
      // The aborted exchange's socket is gone before the caller's own pool is closed.
      expect(await proxy.settle(0)).toBe(0);
      await outbound.release();
    });

    it('a chunked introspection body without Content-Length (64 MiB, more than any socket buffer) → 503 within timeout + 100 ms; the guard stops reading and drops the connection', async () => {
      const TOTAL = 64 * 1024 * 1024;
      let abandoned = false;
      let sent = 0;
      const streaming = await startTinyServer((req, res) => {
        req.resume();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.on('close', () => {
          abandoned = !res.writableFinished;
        });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        res.write('{"active":true,"pad":"');
        const pump = () => {
          while (sent < TOTAL && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) {
              res.once('drain', pump);
              return;
            }
          }
          res.end('"}');
        };
        pump();
      });
      const outbound = transport.use();
      const guard = createGuard({
        ...outbound.options,
        realm: 'hardening',
        allowInsecureHttp: true,
        logger: output.logger,
        introspection: {
          endpoint: `${streaming.url}/introspect`,
          clientAuth: { method: 'bearer', token: 'our-token' },
          http: { timeoutMs: TIMEOUT_MS },
          breakerThreshold: 0,
        },
      });
      try {
        const started = performance.now();
        const error = await guard.authenticate(bearer('some-token')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect.soft(performance.now() - started).toBeLessThan(TIMEOUT_MS + SLACK_MS);
        expect(tableProblem(guard.errorResponse(error), 503)).toBeUndefined();
        // The guard dropped the connection while the body was still being written.
        await new Promise((r) => setTimeout(r, 50));
        expect(abandoned).toBe(true);
      } finally {
        await guard.close();
        await outbound.release();
        await streaming.close();
      }
    });
  });
}
