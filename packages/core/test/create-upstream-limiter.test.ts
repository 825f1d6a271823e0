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

  it('the breaker opens after N consecutive faults, answers at once, then probes and closes', async () => {
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
});
