import { describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../src/errors.js';
import { createUpstreamLimiter } from '../src/introspection/create-upstream-limiter.js';

const counters = () => {
  const c = { cap: 0, breaker: 0 };
  return {
    c,
    k: { rejectedByConcurrencyCap: () => c.cap++, rejectedByBreaker: () => c.breaker++ },
  };
};
const fault = () => Promise.reject(new UpstreamUnavailableError());
const isFault = (e: unknown) => e instanceof UpstreamUnavailableError;

describe('createUpstreamLimiter', () => {
  it('caps concurrent upstream calls; excess waits, then 503 after queueTimeoutMs', async () => {
    const { c, k } = counters();
    const limiter = createUpstreamLimiter(
      { maxConcurrent: 2, queueTimeoutMs: 30, breakerThreshold: 0, breakerCooldownMs: 1 },
      k,
    );
    let inFlight = 0;
    let peak = 0;
    const slow = async () => {
      peak = Math.max(peak, ++inFlight);
      await new Promise((r) => setTimeout(r, 80));
      inFlight--;
      return 'ok';
    };
    const results = await Promise.allSettled([1, 2, 3].map(() => limiter.run(slow, isFault)));
    expect(peak).toBe(2);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(c.cap).toBe(1);
  });

  it('waiters are admitted when a slot frees before their timeout', async () => {
    const { k } = counters();
    const limiter = createUpstreamLimiter(
      { maxConcurrent: 1, queueTimeoutMs: 1000, breakerThreshold: 0, breakerCooldownMs: 1 },
      k,
    );
    const quick = async () => 'ok';
    const results = await Promise.all([1, 2, 3].map(() => limiter.run(quick, isFault)));
    expect(results).toEqual(['ok', 'ok', 'ok']);
  });

  it('the breaker opens after faults for N distinct tokens, answers at once, then probes and closes', async () => {
    const { c, k } = counters();
    const limiter = createUpstreamLimiter(
      { maxConcurrent: 10, queueTimeoutMs: 10, breakerThreshold: 3, breakerCooldownMs: 50 },
      k,
    );
    for (let i = 0; i < 3; i++) await expect(limiter.run(fault, isFault)).rejects.toThrow();
    expect(limiter.state).toBe('open');
    let called = false;
    await expect(
      limiter.run(async () => {
        called = true;
      }, isFault),
    ).rejects.toThrow(UpstreamUnavailableError);
    expect(called).toBe(false);
    expect(c.breaker).toBe(1);
    await new Promise((r) => setTimeout(r, 60));
    await expect(limiter.run(async () => 'ok', isFault)).resolves.toBe('ok');
    expect(limiter.state).toBe('closed');
  });

  it('a failed probe re-opens the breaker; token verdicts do not count as faults', async () => {
    const { k } = counters();
    const limiter = createUpstreamLimiter(
      { maxConcurrent: 10, queueTimeoutMs: 10, breakerThreshold: 2, breakerCooldownMs: 30 },
      k,
    );
    await expect(
      limiter.run(
        () => Promise.reject(new Error('verdict')),
        () => false,
      ),
    ).rejects.toThrow();
    await expect(
      limiter.run(
        () => Promise.reject(new Error('verdict')),
        () => false,
      ),
    ).rejects.toThrow();
    expect(limiter.state).toBe('closed');
    for (let i = 0; i < 2; i++) await expect(limiter.run(fault, isFault)).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 40));
    await expect(limiter.run(fault, isFault)).rejects.toThrow();
    expect(limiter.state).toBe('open');
  });

  it('one token faulting 100 times never opens the breaker (it counts once)', async () => {
    const { k } = counters();
    const limiter = createUpstreamLimiter(
      { maxConcurrent: 10, queueTimeoutMs: 10, breakerThreshold: 3, breakerCooldownMs: 50 },
      k,
    );
    for (let i = 0; i < 100; i++) {
      await expect(limiter.run(fault, isFault, 'one-token')).rejects.toThrow();
    }
    expect(limiter.state).toBe('closed');
  });

  it('opens on a failure ratio: N of the last 2N distinct tokens failing, not interleaved successes', async () => {
    const { k } = counters();
    const limiter = createUpstreamLimiter(
      { maxConcurrent: 10, queueTimeoutMs: 10, breakerThreshold: 4, breakerCooldownMs: 50 },
      k,
    );
    // 1 fault in 3 distinct tokens (33 %) for a long time: stays closed.
    for (let i = 0; i < 60; i++) {
      const call = i % 3 === 0 ? fault : async () => 'ok';
      await limiter.run(call, isFault, `t${i}`).catch(() => undefined);
    }
    expect(limiter.state).toBe('closed');
    // Then every distinct token fails: open after at most 4 more.
    for (let i = 0; i < 4; i++)
      await limiter.run(fault, isFault, `down${i}`).catch(() => undefined);
    expect(limiter.state).toBe('open');
  });
});
