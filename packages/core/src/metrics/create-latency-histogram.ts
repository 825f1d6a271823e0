/**
 * A fixed-bucket latency histogram, as Prometheus models one (cumulative `le` buckets are
 * derived when rendering). Recording is an array walk over a dozen bounds: cheap enough for
 * every upstream call, and no metrics dependency in the core.
 */

/** Upper bounds in milliseconds: 5 ms to 10 s, covering a warm pool to a deadline. */
export const UPSTREAM_LATENCY_BOUNDS_MS: readonly number[] = Object.freeze([
  5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000,
]);

/** A snapshot: `counts[i]` observations ≤ `boundsMs[i]` (and > the bound before); `counts[bounds.length]` above every bound. */
export interface LatencyHistogramSnapshot {
  readonly boundsMs: readonly number[];
  readonly counts: readonly number[];
  readonly sumMs: number;
  readonly count: number;
}

export interface LatencyHistogram {
  observe(durationMs: number): void;
  snapshot(): LatencyHistogramSnapshot;
}

export function createLatencyHistogram(
  boundsMs: readonly number[] = UPSTREAM_LATENCY_BOUNDS_MS,
): LatencyHistogram {
  const counts = new Array<number>(boundsMs.length + 1).fill(0);
  let sumMs = 0;
  let count = 0;
  return {
    observe(durationMs) {
      let index = 0;
      while (index < boundsMs.length && durationMs > (boundsMs[index] as number)) index++;
      counts[index] = (counts[index] as number) + 1;
      sumMs += durationMs;
      count++;
    },
    snapshot: () => ({ boundsMs, counts: [...counts], sumMs, count }),
  };
}
