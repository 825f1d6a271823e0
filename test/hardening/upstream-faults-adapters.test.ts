/**
 * A reduced upstream fault matrix through each adapter (the conformance harnesses), so the
 * HTTP answer is checked end to end: status, `Retry-After`, no challenge on outages,
 * `Cache-Control: no-store`, the contract's error body — within timeout + 100 ms, sockets released,
 * nothing cached, and the next healthy answer passes. The full matrix runs against the core in
 * upstream-fault-matrix.test.ts; every adapter only translates the core's answer.
 */
import express from 'express';
import fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressHarness } from '../conformance/adapters/express.js';
import { fastifyHarness } from '../conformance/adapters/fastify.js';
import { honoHarness } from '../conformance/adapters/hono.js';
import { koaHarness } from '../conformance/adapters/koa.js';
import type { AdapterHarness } from '../conformance/harness.js';
import { bearer, send } from '../conformance/http.js';
import { captureOutput, leakedSecrets } from './support/capture.js';
import { tableProblem } from './support/error-table.js';
import {
  type Cell,
  cellsFor,
  createFaultFixture,
  type FaultFixture,
  pastRememberedOutage,
  SLACK_MS,
  TIMEOUT_MS,
  UPSTREAM_KINDS,
  type UpstreamName,
} from './support/fault-fixture.js';

/** Which cells run through the adapters, per upstream. */
const REDUCED: Record<UpstreamName, readonly string[]> = {
  introspection: [
    'hang',
    'connection reset',
    'connection refused',
    'HTTP 500',
    'HTML with 200',
    'JSON with wrong types',
    'active:true with exp in the past (a verdict, not a fault)',
    'a 10 MiB body',
    'a redirect to another server (never followed)',
    'HTTP 401 to our credentials',
    'HTTP 403 to our credentials',
  ],
  'token endpoint': ['hang', 'HTTP 500', 'HTTP 401 to our credentials'],
  JWKS: ['connection reset', 'HTML with 200', 'HTTP 403 to our credentials'],
  'discovery metadata': ['slow drip past the timeout', 'HTTP 500'],
};

const HARNESSES: Array<{ harness: AdapterHarness; lazyDiscovery: boolean }> = [
  { harness: expressHarness('express 5', express), lazyDiscovery: true },
  { harness: koaHarness('koa 3', Koa), lazyDiscovery: true },
  // The Fastify plugin runs discovery at startup (guard.ready() in the plugin), so a metadata
  // fault cannot reach a request: its discovery cells are not registered.
  { harness: fastifyHarness('fastify 5', fastify), lazyDiscovery: false },
  { harness: honoHarness(), lazyDiscovery: true },
];

describe('hardening: upstream faults through every adapter (the README error table, end to end)', () => {
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

  for (const { harness, lazyDiscovery } of HARNESSES) {
    describe(harness.name, () => {
      for (const kind of UPSTREAM_KINDS) {
        if (kind.endpoint === 'metadata' && !lazyDiscovery) continue;
        const cells: Cell[] = cellsFor(kind).filter((c) => REDUCED[kind.name].includes(c.name));
        for (const cell of cells) {
          const row = cell.row(kind);
          it(`${harness.name}: ${kind.name} ${cell.name} → HTTP ${row} within timeout + ${SLACK_MS} ms; sockets released; recovers`, async () => {
            const { proxy, target } = fixture;
            const upstream = fixture.upstreams.find((u) => u.name === kind.name);
            if (upstream === undefined) throw new Error(`no upstream ${kind.name}`);
            const app = await harness.createApp({
              guardOptions: upstream.guardOptions(output.logger),
            });
            try {
              expect(await proxy.settle(0)).toBe(0);
              const token = await upstream.token('fault-user');
              await fixture.inject(upstream, cell);

              const answer = await send(app.url, '/protected', { headers: bearer(token) });

              expect.soft(tableProblem(answer, row)).toBeUndefined();
              expect.soft(answer.elapsedMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
              expect.soft(answer.text).not.toContain(token);
              const pooled = cell.socketsAfter(upstream);
              expect.soft(await proxy.settle(pooled), 'open sockets').toBeLessThanOrEqual(pooled);
              expect.soft(target.requests, 'the redirect target was reached').toBe(0);
              expect.soft(leakedSecrets(output.lines.join('\n'), [token])).toEqual([]);

              await fixture.heal();
              const next = row === 401 ? await upstream.token('recovered-user') : token;
              const before = upstream.calls();
              const recover = () => send(app.url, '/protected', { headers: bearer(next) });
              const healthy = await (upstream.remembersOutage
                ? pastRememberedOutage(recover)
                : recover());
              expect(
                { status: healthy.status, sub: healthy.body?.auth?.claims?.sub },
                'recovery',
              ).toEqual({ status: 200, sub: row === 401 ? 'recovered-user' : 'fault-user' });
              expect(upstream.calls() - before, 'upstream calls during recovery').toBe(1);
            } finally {
              await app.close();
            }
            expect(await proxy.settle(0)).toBe(0);
          });
        }
      }
    });
  }
});
