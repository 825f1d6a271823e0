/**
 * Bounds the load the guard can put on the identity service: a cap on concurrent upstream
 * calls (excess callers wait up to `queueTimeoutMs`, then get a 503), and a circuit breaker
 * that answers 503 at once after `breakerThreshold` consecutive faults, letting one probe
 * through every `breakerCooldownMs` until the service answers again.
 */
import { UpstreamUnavailableError } from '../errors.js';

export interface UpstreamLimiterSettings {
  readonly maxConcurrent: number;
  readonly queueTimeoutMs: number;
  /** 0 disables the breaker. */
  readonly breakerThreshold: number;
  readonly breakerCooldownMs: number;
}

export interface UpstreamLimiterCounters {
  rejectedByConcurrencyCap(): void;
  rejectedByBreaker(): void;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface UpstreamLimiter {
  /** Runs `call` within the limits; `isFault` tells which errors count against the breaker. */
  run<T>(call: () => Promise<T>, isFault: (error: unknown) => boolean): Promise<T>;
  readonly state: BreakerState;
  /** Open, and the cooldown is over: the next call goes through as the probe. */
  readonly probeDue: boolean;
  close(): void;
}

export function createUpstreamLimiter(
  settings: UpstreamLimiterSettings,
  counters: UpstreamLimiterCounters,
): UpstreamLimiter {
  let active = 0;
  const waiting: Array<() => void> = [];
  let consecutiveFaults = 0;
  let openedAt = 0;
  let probing = false;
  let state: BreakerState = 'closed';

  function admitByBreaker(): boolean {
    if (state === 'closed') return true;
    if (state === 'open' && Date.now() - openedAt >= settings.breakerCooldownMs && !probing) {
      state = 'half-open';
      probing = true;
      return true;
    }
    return false;
  }

  function record(fault: boolean): void {
    if (settings.breakerThreshold === 0) return;
    if (!fault) {
      consecutiveFaults = 0;
      state = 'closed';
    } else if (++consecutiveFaults >= settings.breakerThreshold || state === 'half-open') {
      state = 'open';
      openedAt = Date.now();
    }
    probing = false;
  }

  function acquireSlot(): Promise<void> {
    if (active < settings.maxConcurrent) {
      active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const admit = () => {
        clearTimeout(timer);
        active++;
        resolve();
      };
      const timer = setTimeout(() => {
        const index = waiting.indexOf(admit);
        if (index !== -1) waiting.splice(index, 1);
        counters.rejectedByConcurrencyCap();
        reject(
          new UpstreamUnavailableError({
            message: `introspection concurrency cap (${settings.maxConcurrent}) full for ${settings.queueTimeoutMs} ms`,
          }),
        );
      }, settings.queueTimeoutMs);
      waiting.push(admit);
    });
  }

  function releaseSlot(): void {
    active--;
    waiting.shift()?.();
  }

  return {
    get state() {
      return state;
    },
    get probeDue() {
      return state === 'open' && !probing && Date.now() - openedAt >= settings.breakerCooldownMs;
    },
    async run(call, isFault) {
      if (settings.breakerThreshold > 0 && !admitByBreaker()) {
        counters.rejectedByBreaker();
        throw new UpstreamUnavailableError({ message: 'introspection circuit breaker is open' });
      }
      try {
        await acquireSlot();
      } catch (error) {
        // A probe that never got a slot proved nothing: stay open, allow the next probe.
        if (state === 'half-open') state = 'open';
        probing = false;
        throw error;
      }
      try {
        const result = await call();
        record(false);
        return result;
      } catch (error) {
        record(isFault(error));
        throw error;
      } finally {
        releaseSlot();
      }
    },
    close() {
      waiting.length = 0;
    },
  };
}
