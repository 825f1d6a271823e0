/**
 * The load the guard may put on the identity service is bounded: a cap on
 * concurrent upstream calls (excess requests wait up to `queueTimeoutMs`, then 503), and a
 * circuit breaker that answers 503 at once after `breakerThreshold` consecutive faults and lets
 * one probe through every `breakerCooldownMs`. Both are checked under bursts against a slow or
 * failing upstream, in the counters (`rejectedByConcurrencyCap`, `rejectedByBreaker`,
 * `breakerState`), at the upstream itself (calls and concurrent connections), and through
 * each adapter; and both let traffic through again once the upstream heals.
 */
import {
  createGuard,
  type GuardOptions,
  type IntrospectionOptions,
  type RequestLike,
  type TokenGuard,
} from '@tokenguard/core';
import express from 'express';
import fastify from 'fastify';
import Koa from 'koa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expressHarness } from '../conformance/adapters/express.js';
import { fastifyHarness } from '../conformance/adapters/fastify.js';
import { honoHarness } from '../conformance/adapters/hono.js';
import { koaHarness } from '../conformance/adapters/koa.js';
import { bearer, send } from '../conformance/http.js';
import { captureOutput } from './support/capture.js';
import { tableProblem } from './support/error-table.js';
import { createFaultFixture, type FaultFixture } from './support/fault-fixture.js';
import { startTinyServer, type TinyServer } from './support/loopback.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const request = (token: string): RequestLike => ({
  method: 'GET',
  url: '/resource',
  headers: { authorization: `Bearer ${token}` },
});

describe('hardening: bounded load on the identity service (concurrency cap, circuit breaker)', () => {
  let fixture: FaultFixture;
  const output = captureOutput();
  const guards: TokenGuard[] = [];

  beforeAll(async () => {
    fixture = await createFaultFixture();
  });
  afterAll(async () => {
    await Promise.all(guards.map((g) => g.close()));
    await fixture?.close();
  });
  beforeEach(async () => {
    await fixture.heal();
  });

  function options(introspection: Partial<IntrospectionOptions>): GuardOptions {
    return {
      realm: 'hardening',
      allowInsecureHttp: true,
      logger: output.logger,
      // Every request is its own upstream call: the bounds, not the cache, must hold the load.
      cache: false,
      introspection: {
        endpoint: `${fixture.proxy.url}/v1/oauth/introspect`,
        clientAuth: { method: 'bearer', token: fixture.idp.callerToken },
        http: { timeoutMs: 2000 },
        ...introspection,
      },
    };
  }

  function guardWith(introspection: Partial<IntrospectionOptions>): TokenGuard {
    const guard = createGuard(options(introspection));
    guards.push(guard);
    return guard;
  }

  /** Runs requests concurrently; returns each answer's status (200 for a pass). */
  async function burst(guard: TokenGuard, tokens: string[]): Promise<number[]> {
    return Promise.all(
      tokens.map((t) =>
        guard.authenticate(request(t)).then(
          () => 200,
          (error: unknown) => {
            const answer = guard.errorResponse(error);
            // Whatever bound refused it, the answer is the table's outage row.
            if (answer.status === 503) expect(tableProblem(answer, 503)).toBeUndefined();
            return answer.status;
          },
        ),
      ),
    );
  }

  const tokens = (n: number) => Array.from({ length: n }, () => fixture.idp.mintToken());
  const count = (statuses: number[], status: number) => statuses.filter((s) => s === status).length;

  describe('concurrency cap (introspection.maxConcurrent, queueTimeoutMs)', () => {
    /**
     * An introspection endpoint of our own that answers `active: true` after `delayMs` and
     * counts the calls in flight: connection counts would overstate concurrency (the pool may
     * open a socket before the previous one is handed back).
     */
    let slow: TinyServer;
    let delayMs = 0;
    let inFlight = 0;
    let peakInFlight = 0;
    beforeAll(async () => {
      slow = await startTinyServer((req, res) => {
        inFlight++;
        peakInFlight = Math.max(peakInFlight, inFlight);
        req.resume();
        setTimeout(() => {
          inFlight--;
          const exp = Math.floor(Date.now() / 1000) + 3600;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ active: true, sub: 'slow-user', exp }));
        }, delayMs);
      });
    });
    afterAll(async () => {
      await slow?.close();
    });
    beforeEach(() => {
      peakInFlight = 0;
    });

    const capped = (queueTimeoutMs: number) =>
      guardWith({
        endpoint: `${slow.url}/introspect`,
        maxConcurrent: 2,
        queueTimeoutMs,
        breakerThreshold: 0,
      });
    const distinct = (n: number) => Array.from({ length: n }, (_, i) => `t${i}-${Math.random()}`);

    it('a burst against a slow upstream: at most maxConcurrent calls reach it, the excess waits queueTimeoutMs then gets 503, counted in rejectedByConcurrencyCap', async () => {
      const guard = capped(100);
      // Slower than the queue timeout: nobody waiting can get a slot in time.
      delayMs = 400;
      const before = slow.requests;

      const statuses = await burst(guard, distinct(12));

      expect({ passed: count(statuses, 200), unavailable: count(statuses, 503) }).toEqual({
        passed: 2,
        unavailable: 10,
      });
      expect(slow.requests - before).toBe(2);
      expect(peakInFlight).toBe(2);
      expect(guard.metrics()).toMatchObject({
        rejectedByConcurrencyCap: 10,
        rejectedByBreaker: 0,
        upstreamCalls: 2,
      });
    });

    it('excess requests wait briefly for a slot and pass when one frees up in time', async () => {
      const guard = capped(2000);
      delayMs = 50;

      const statuses = await burst(guard, distinct(8));

      expect(statuses).toEqual(Array.from({ length: 8 }, () => 200));
      expect(peakInFlight).toBe(2);
      expect(guard.metrics().rejectedByConcurrencyCap).toBe(0);
    });

    it('once the upstream is fast again, a burst through the same guard passes entirely', async () => {
      // 300 ms: still below the congested delay, but 12 calls through 2 slots must also fit in
      // it on a loaded 2-core CI machine (100 ms made this flaky under parallel suites).
      const guard = capped(300);
      delayMs = 400;
      const congested = await burst(guard, distinct(6));
      expect(count(congested, 503)).toBe(4);

      delayMs = 0;
      const healed = await burst(guard, distinct(12));
      expect(healed).toEqual(Array.from({ length: 12 }, () => 200));
      expect(peakInFlight).toBeLessThanOrEqual(2);
      expect(guard.metrics().rejectedByConcurrencyCap).toBe(4);
    });
  });

  describe('circuit breaker (introspection.breakerThreshold, breakerCooldownMs)', () => {
    const COOLDOWN_MS = 250;

    it('opens after breakerThreshold consecutive faults; then a burst is answered 503 without a single upstream call', async () => {
      const guard = guardWith({ breakerThreshold: 3, breakerCooldownMs: 60_000 });
      const { idp } = fixture;
      idp.injectFault('introspect', { kind: 'status', status: 500 });
      const before = idp.calls.introspect;

      for (let i = 0; i < 3; i++) {
        expect(guard.metrics().breakerState).toBe('closed');
        expect(await burst(guard, tokens(1))).toEqual([503]);
      }
      expect(guard.metrics().breakerState).toBe('open');
      expect(idp.calls.introspect - before).toBe(3);

      expect(await burst(guard, tokens(25))).toEqual(Array.from({ length: 25 }, () => 503));
      expect(idp.calls.introspect - before).toBe(3);
      expect(guard.metrics()).toMatchObject({ rejectedByBreaker: 25, breakerState: 'open' });
    });

    it('after the cooldown one probe goes through: a failed probe re-opens it, a healthy one closes it and traffic flows again', async () => {
      const guard = guardWith({ breakerThreshold: 2, breakerCooldownMs: COOLDOWN_MS });
      const { idp } = fixture;
      idp.injectFault('introspect', { kind: 'status', status: 502 });
      await burst(guard, tokens(1));
      await burst(guard, tokens(1));
      expect(guard.metrics().breakerState).toBe('open');

      // Still failing: exactly one probe of a burst reaches the upstream, and it re-opens.
      await sleep(COOLDOWN_MS + 50);
      let before = idp.calls.introspect;
      expect(await burst(guard, tokens(10))).toEqual(Array.from({ length: 10 }, () => 503));
      expect(idp.calls.introspect - before).toBe(1);
      expect(guard.metrics().breakerState).toBe('open');

      // Healed (but slow enough that the burst overlaps the probe): one probe, which passes.
      idp.clearFaults();
      idp.injectFault('introspect', { kind: 'delay', ms: 100 }, 1);
      await sleep(COOLDOWN_MS + 50);
      before = idp.calls.introspect;
      const statuses = await burst(guard, tokens(10));
      expect({ passed: count(statuses, 200), unavailable: count(statuses, 503) }).toEqual({
        passed: 1,
        unavailable: 9,
      });
      expect(idp.calls.introspect - before).toBe(1);
      expect(guard.metrics().breakerState).toBe('closed');

      expect(await burst(guard, tokens(10))).toEqual(Array.from({ length: 10 }, () => 200));
    });

    it('counts outages only: invalid tokens (401) and our refused credentials (500) never open it', async () => {
      const guard = guardWith({ breakerThreshold: 2, breakerCooldownMs: 60_000 });
      const unknown = Array.from({ length: 5 }, (_, i) => `never-issued-${i}-${Date.now()}`);
      for (const token of unknown) expect(await burst(guard, [token])).toEqual([401]);
      fixture.idp.injectFault('introspect', { kind: 'status', status: 401 }, 5);
      for (let i = 0; i < 5; i++) expect(await burst(guard, tokens(1))).toEqual([500]);
      expect(guard.metrics()).toMatchObject({ breakerState: 'closed', rejectedByBreaker: 0 });
    });
  });

  describe('through every adapter', () => {
    for (const harness of [
      expressHarness('express 5', express),
      koaHarness('koa 3', Koa),
      fastifyHarness('fastify 5', fastify),
      honoHarness(),
    ]) {
      it(`${harness.name}: an open breaker answers HTTP 503 with Retry-After and no challenge, visible in the guard's metrics; the healed upstream is used again`, async () => {
        const app = await harness.createApp({
          guardOptions: options({ breakerThreshold: 2, breakerCooldownMs: 200 }),
        });
        try {
          const { idp } = fixture;
          const get = (t: string) => send(app.url, '/protected', { headers: bearer(t) });
          idp.injectFault('introspect', { kind: 'status', status: 500 });
          for (const t of tokens(2)) expect(tableProblem(await get(t), 503)).toBeUndefined();
          const before = idp.calls.introspect;
          const answers = await Promise.all(tokens(10).map(get));
          for (const answer of answers) expect(tableProblem(answer, 503)).toBeUndefined();
          expect(idp.calls.introspect).toBe(before);
          expect(app.guard?.metrics()).toMatchObject({
            breakerState: 'open',
            rejectedByBreaker: 10,
          });

          idp.clearFaults();
          await sleep(250);
          const healed = await get(idp.mintToken({ sub: 'after-the-storm' }));
          expect({ status: healed.status, sub: healed.body?.auth?.claims?.sub }).toEqual({
            status: 200,
            sub: 'after-the-storm',
          });
          expect(app.guard?.metrics().breakerState).toBe('closed');
        } finally {
          await app.close();
        }
      });
    }
  });
});
