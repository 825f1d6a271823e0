/**
 * Times remembered per name for a while — when a key or subject was evicted, before when a
 * subject's tokens are revoked — for at most `max` names, the longest unrecorded going
 * first. It grows with use: a guard that never evicts pays nothing for it, where an LRU
 * sized for the bound allocates every slot up front (about 4 MB and 10 ms per 100,000).
 */
export interface TimeRecords {
  /** Names recorded (some may have expired and not yet been dropped). */
  readonly size: number;
  /** The time recorded for `name`, unless it has been kept for its full `keepMs`. */
  get(name: string): number | undefined;
  /** Records `atMs` for `name`, kept for `keepMs`, unless a later time is already kept. */
  raise(name: string, atMs: number, keepMs: number): void;
}

interface TimeRecord {
  readonly atMs: number;
  readonly untilMs: number;
}

export function createTimeRecords(max: number): TimeRecords {
  // A Map iterates in insertion order, and `raise` re-inserts: the first names are the
  // longest unrecorded, so the bound and the expiry both drop from the front.
  const records = new Map<string, TimeRecord>();

  function get(name: string): number | undefined {
    const record = records.get(name);
    if (record === undefined) return undefined;
    if (record.untilMs <= Date.now()) {
      records.delete(name);
      return undefined;
    }
    return record.atMs;
  }

  return {
    get size() {
      return records.size;
    },
    get,
    raise(name, atMs, keepMs) {
      const known = get(name);
      if (known !== undefined && known >= atMs) return;
      const now = Date.now();
      records.delete(name);
      records.set(name, { atMs, untilMs: now + keepMs });
      for (const [first, record] of records) {
        if (records.size <= max && record.untilMs > now) break;
        records.delete(first);
      }
    },
  };
}
