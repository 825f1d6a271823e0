/**
 * "Start once, share the promise": callers asking for the same thing while it is being
 * fetched share that one fetch, and what is kept once it settles is stated, not implied.
 * Used by the result cache (per token), the client-credentials source, the remote key set,
 * discovery and the assertion signer — each with its own retention rule.
 */

/** How long a settled run keeps answering, in ms after it settled (0: not kept). */
export type Retention<T> = number | ((outcome: T) => number);

export interface SingleFlightOptions<T> {
  /**
   * How long a fulfilled run answers later callers. 0 (the default): not at all — the next
   * caller starts a new run (the owner keeps the value where it needs it); `Infinity`: for
   * the owner's life; a function: decided per value (a token kept until shortly before it
   * expires).
   */
  readonly keepValueMs?: Retention<T>;
  /**
   * How long a failure answers later callers. 0 (the default): not at all — the next caller
   * tries again; a few seconds: a burst of callers during an outage gets one attempt and a
   * quick answer; a function: decided per error (a configuration error kept for good).
   */
  readonly keepFailureMs?: Retention<unknown>;
  /** Called when a caller joins a run already in flight (a coalesced call). */
  readonly onJoin?: () => void;
}

export interface SingleFlight<T, K = void> {
  /**
   * The promise of the run in flight for `key`, or of the kept settled run, or else of a
   * new run `start()` begins now. Every caller of one run gets the same promise (and, on
   * failure, the same error object: errors are complete when created).
   */
  run(start: () => Promise<T>, key: K): Promise<T>;
  /** True while a run for `key` is in flight. */
  inFlight(key: K): boolean;
  /** Drops the kept outcome for `key`, so the next caller starts anew; a run in flight stays shared. */
  forget(key: K): void;
}

interface Flight<T> {
  readonly promise: Promise<T>;
  settled: boolean;
  /** Epoch ms until which the settled run is answered from (kept runs only). */
  keptUntil: number;
}

/**
 * @example
 * // discovery: success kept for good, an outage for 2 s, a configuration error for good
 * const metadata = createSingleFlight<Metadata>({
 *   keepValueMs: Infinity,
 *   keepFailureMs: (error) => (error instanceof TokenGuardConfigError ? Infinity : 2000),
 * });
 * const document = await metadata.run(load);
 *
 * @example
 * // per-token validation: shared while in flight, nothing kept (the cache keeps results)
 * const validations = createSingleFlight<CachedResult, string>({ onJoin: counters.coalesced });
 * const result = await validations.run(() => validate(token), key);
 */
export function createSingleFlight<T, K = void>(
  options: SingleFlightOptions<T> = {},
): SingleFlight<T, K> {
  const { keepValueMs = 0, keepFailureMs = 0, onJoin } = options;
  const flights = new Map<K, Flight<T>>();

  function settle(key: K, flight: Flight<T>, keepMs: number): void {
    flight.settled = true;
    // A forgotten or replaced run must not evict its successor.
    if (flights.get(key) !== flight) return;
    if (keepMs > 0) flight.keptUntil = Date.now() + keepMs;
    else flights.delete(key);
  }

  return {
    run(start, key) {
      const current = flights.get(key);
      if (current !== undefined) {
        if (!current.settled) {
          onJoin?.();
          return current.promise;
        }
        if (Date.now() < current.keptUntil) return current.promise;
      }
      const flight: Flight<T> = { promise: start(), settled: false, keptUntil: 0 };
      flights.set(key, flight);
      // Attached before any caller's handlers, so the entry is settled (kept or dropped)
      // by the time the first caller resumes.
      flight.promise.then(
        (value) => settle(key, flight, retain(keepValueMs, value)),
        (error: unknown) => settle(key, flight, retain(keepFailureMs, error)),
      );
      return flight.promise;
    },
    inFlight(key) {
      const flight = flights.get(key);
      return flight !== undefined && !flight.settled;
    },
    forget(key) {
      const flight = flights.get(key);
      if (flight?.settled) flights.delete(key);
    },
  };
}

function retain<T>(rule: Retention<T>, outcome: T): number {
  return typeof rule === 'number' ? rule : rule(outcome);
}
