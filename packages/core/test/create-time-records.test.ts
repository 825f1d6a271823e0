import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTimeRecords } from '../src/cache/create-time-records.js';

describe('time records (eviction tombstones, subject revocations)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('keeps the latest time per name: an earlier one never lowers it', () => {
    const records = createTimeRecords(10);
    records.raise('a', 2_000, 60_000);
    records.raise('a', 1_000, 60_000);
    expect(records.get('a')).toBe(2_000);
    records.raise('a', 3_000, 60_000);
    expect(records.get('a')).toBe(3_000);
    expect(records.get('b')).toBeUndefined();
  });

  it('forgets a name once its keep time has passed, and not before', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const records = createTimeRecords(10);
    records.raise('a', 5, 1_000);
    vi.advanceTimersByTime(999);
    expect(records.get('a')).toBe(5);
    vi.advanceTimersByTime(1);
    expect(records.get('a')).toBeUndefined();
    expect(records.size).toBe(0);
  });

  it('holds at most max names, dropping the longest unrecorded first', () => {
    const records = createTimeRecords(3);
    for (const name of ['a', 'b', 'c']) records.raise(name, 1, 60_000);
    records.raise('a', 2, 60_000); // recorded again: now the newest
    records.raise('d', 1, 60_000);
    expect(records.size).toBe(3);
    expect(records.get('b')).toBeUndefined();
    expect(['a', 'c', 'd'].map((name) => records.get(name))).toEqual([2, 1, 1]);
  });

  it('drops expired names at the front when recording, so they do not hold the bound', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const records = createTimeRecords(100);
    for (let i = 0; i < 50; i++) records.raise(`old-${i}`, i, 1_000);
    vi.advanceTimersByTime(1_000);
    records.raise('new', 1, 1_000);
    expect(records.size).toBe(1);
  });
});
