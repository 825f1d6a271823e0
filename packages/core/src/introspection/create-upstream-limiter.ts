/**
 * Bounds the load the guard can put on the identity service: a cap on concurrent upstream
 * calls (excess callers wait up to `queueTimeoutMs`, then get a 503), and a circuit breaker
 * that answers 503 at once when the identity service is failing for many tokens, letting one
 * probe through every `breakerCooldownMs` until the service answers again.
 *
 * The breaker counts tokens, not calls: it keeps the latest outcome of each of the last
 * `2 × breakerThreshold` distinct tokens and opens when at least `breakerThreshold` of them
 * (so at least half) ended in an upstream fault. A single token, however often it is sent and
 * whatever the service answers for it, counts once: it cannot open the breaker for everyone.
 */
import { UpstreamUnavailableError } from '../errors.js';
import type { BreakerState } from '../health/check-guard-health.js';

/** The refusals the concurrency cap made itself: local back-pressure, not an upstream fault. */
const backPressure = new WeakSet<object>();

/**
 * True for a 503 the guard gave because its own concurrency cap stayed full (local
 * back-pressure): the identity service said nothing, so stale-if-error must not answer it
 * (a flood of junk tokens would otherwise bring revoked entries back).
 */
export function isLocalBackPressure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && backPressure.has(error);
}

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

export interface UpstreamLimiter {
  /**
   * Runs `call` within the limits; `isFault` tells which errors count against the breaker;
   * `subject` identifies the token (a hash, never the token), so one token counts once.
   */
  run<T>(
    call: () => Promise<T>,
    isFault: (error: unknown) => boolean,
    subject?: string,
  ): Promise<T>;
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
  /** Latest outcome (true: fault) per distinct subject, oldest first; at most 2 × threshold. */
  const recent = new Map<string, boolean>();
  let faulting = 0;
  let anonymous = 0;
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

  function remember(subject: string, fault: boolean): void {
    const previous = recent.get(subject);
    if (previous !== undefined) {
      recent.delete(subject);
      if (previous) faulting--;
    }
    recent.set(subject, fault);
    if (fault) faulting++;
    if (recent.size > settings.breakerThreshold * 2) {
      const [oldest, oldestFault] = recent.entries().next().value as [string, boolean];
      recent.delete(oldest);
      if (oldestFault) faulting--;
    }
  }

  function record(fault: boolean, subject: string | undefined): void {
    if (settings.breakerThreshold === 0) return;
    const probe = state === 'half-open';
    probing = false;
    if (probe) {
      // The probe decides alone: the service answers again, or it does not.
      recent.clear();
      faulting = 0;
      state = fault ? 'open' : 'closed';
      if (fault) openedAt = Date.now();
      return;
    }
    remember(subject ?? `call-${anonymous++}`, fault);
    if (state === 'closed' && faulting >= settings.breakerThreshold) {
      state = 'open';
      openedAt = Date.now();
    }
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
        const error = new UpstreamUnavailableError({
          message: `introspection concurrency cap (${settings.maxConcurrent}) full for ${settings.queueTimeoutMs} ms`,
        });
        backPressure.add(error);
        reject(error);
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
    async run(call, isFault, subject) {
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
        record(false, subject);
        return result;
      } catch (error) {
        record(isFault(error), subject);
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
