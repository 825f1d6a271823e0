import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSingleFlight } from '../src/internal/single-flight.js';

/** A run the test settles by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createSingleFlight', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('callers during a run share its promise; onJoin counts the joiners', async () => {
    let joined = 0;
    const flight = createSingleFlight<string>({ onJoin: () => joined++ });
    const run = deferred<string>();
    const start = vi.fn(() => run.promise);
    const a = flight.run(start);
    const b = flight.run(start);
    expect(a).toBe(b);
    expect(flight.inFlight()).toBe(true);
    run.resolve('x');
    await expect(a).resolves.toBe('x');
    expect(start).toHaveBeenCalledTimes(1);
    expect(joined).toBe(1);
  });

  it('by default nothing is kept: the next caller after settlement starts anew', async () => {
    const flight = createSingleFlight<number>();
    let n = 0;
    await flight.run(async () => ++n);
    expect(flight.inFlight()).toBe(false);
    await expect(flight.run(async () => ++n)).resolves.toBe(2);
    await expect(flight.run(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await expect(flight.run(async () => ++n)).resolves.toBe(3);
  });

  it('keepValueMs keeps a value for that long after it settled', async () => {
    const flight = createSingleFlight<number>({ keepValueMs: 1000 });
    let n = 0;
    await flight.run(async () => ++n);
    vi.setSystemTime(1_000_999);
    await expect(flight.run(async () => ++n)).resolves.toBe(1);
    vi.setSystemTime(1_001_001);
    await expect(flight.run(async () => ++n)).resolves.toBe(2);
  });

  it('a retention function decides per outcome; Infinity keeps for good', async () => {
    const flight = createSingleFlight<string>({
      keepFailureMs: (error) => ((error as Error).message === 'config' ? Infinity : 0),
    });
    const config = new Error('config');
    await expect(flight.run(() => Promise.reject(config))).rejects.toBe(config);
    vi.setSystemTime(9_999_999_999);
    // The same error object answers every later caller.
    await expect(flight.run(async () => 'ok')).rejects.toBe(config);
  });

  it('a kept failure is answered without a new run until it expires', async () => {
    const flight = createSingleFlight<string>({ keepFailureMs: 2000 });
    const start = vi.fn(() => Promise.reject(new Error('down')));
    await expect(flight.run(start)).rejects.toThrow('down');
    await expect(flight.run(start)).rejects.toThrow('down');
    expect(start).toHaveBeenCalledTimes(1);
    vi.setSystemTime(1_002_000);
    await expect(flight.run(async () => 'up')).resolves.toBe('up');
  });

  it('forget drops a kept outcome but never a run in flight', async () => {
    const flight = createSingleFlight<number>({ keepValueMs: Infinity });
    let n = 0;
    await flight.run(async () => ++n);
    flight.forget();
    await expect(flight.run(async () => ++n)).resolves.toBe(2);
    await expect(flight.run(async () => ++n)).resolves.toBe(2);
    flight.forget();
    const run = deferred<number>();
    const pending = flight.run(() => run.promise);
    flight.forget();
    expect(flight.run(async () => -1)).toBe(pending);
    run.resolve(7);
    await expect(pending).resolves.toBe(7);
  });

  it('keys are independent', async () => {
    const flight = createSingleFlight<string, string>();
    const a = deferred<string>();
    const first = flight.run(() => a.promise, 'a');
    const second = flight.run(async () => 'b', 'b');
    expect(first).not.toBe(second);
    expect(flight.inFlight('a')).toBe(true);
    await expect(second).resolves.toBe('b');
    a.resolve('a');
    await expect(first).resolves.toBe('a');
    expect(flight.inFlight('a')).toBe(false);
  });
});
