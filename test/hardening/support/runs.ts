/**
 * How many cases each property runs. CI uses the default (10,000 per core property); a longer
 * run is one environment variable away: `TOKENGUARD_PROPERTY_RUNS=200000 npx vitest run test/hardening`.
 * `TOKENGUARD_PROPERTY_SEED` replays a reported failure.
 */
import type { Parameters } from 'fast-check';

export const DEFAULT_PROPERTY_RUNS = 10_000;

/** The configured case count, divided by `divisor` for properties that cost a socket per case. */
export function propertyRuns(divisor = 1): number {
  const raw = process.env.TOKENGUARD_PROPERTY_RUNS;
  const base = raw === undefined || raw.trim() === '' ? DEFAULT_PROPERTY_RUNS : Number(raw);
  if (!Number.isInteger(base) || base < 1) {
    throw new TypeError('TOKENGUARD_PROPERTY_RUNS must be a positive integer');
  }
  return Math.max(1, Math.round(base / divisor));
}

/** fast-check parameters: the run count, and the seed when one is given to replay a failure. */
export function propertyParameters<T>(numRuns: number): Parameters<T> {
  const seed = process.env.TOKENGUARD_PROPERTY_SEED;
  return seed === undefined || seed.trim() === ''
    ? { numRuns }
    : { numRuns, seed: Number(seed), path: process.env.TOKENGUARD_PROPERTY_PATH };
}

/** Vitest's per-test timeout for a property: generous, since a longer run scales it. */
export function propertyTimeoutMs(numRuns: number, perCaseMs: number): number {
  return Math.max(30_000, Math.ceil(numRuns * perCaseMs) + 20_000);
}
