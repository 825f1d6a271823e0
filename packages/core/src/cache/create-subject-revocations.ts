/**
 * Subject revocations: "every token of this subject issued at or before T is revoked" (an
 * OpenID CAEP `session-revoked` event, through `guard.evictSubject(sub, { issuedBeforeMs })`).
 * Evicting cached verdicts is not enough for a locally verified JWT, whose signature stays
 * valid until `exp`: each fresh verdict is checked against the subject's revocation time,
 * kept here (learned from this guard and from the invalidation channel) and, when the store
 * can keep it, in the shared store for instances that missed the announcement.
 */
import type { CachedResult } from './cache-store.js';
import type { StoreBudget, StoreCaller } from './create-store-caller.js';
import { createTimeRecords } from './create-time-records.js';
import { hashSubject } from './hash-token.js';

/** What `evictSubject` may add: refuse the subject's tokens issued at or before a time. */
export interface SubjectRevocation {
  /** Epoch milliseconds: tokens whose `iat` is at or before it are refused. */
  readonly issuedBeforeMs: number;
  /** How long the revocation is kept, in milliseconds (the longest token lifetime). */
  readonly keepMs: number;
}

export interface SubjectRevocations {
  /** The subject key of `sub` in this guard's namespace. */
  subjectKey(sub: string): string;
  /** Records a revocation heard here or on the channel (the latest time wins). */
  record(subjectKey: string, issuedBeforeMs: number, keepMs: number): void;
  /**
   * `result`, or an inactive result when its subject was revoked after the token was
   * issued. With a request's store `budget`, asks the shared store too (within it).
   */
  check(result: CachedResult, budget?: StoreBudget): CachedResult | Promise<CachedResult>;
}

/** Most subjects whose revocation is kept; the oldest go first. */
const MAX_REVOKED_SUBJECTS = 100_000;
const REVOKED: CachedResult = { kind: 'invalid', reason: 'token_inactive' };

export function createSubjectRevocations(
  namespace: string,
  store: StoreCaller | undefined,
): SubjectRevocations {
  const revoked = createTimeRecords(MAX_REVOKED_SUBJECTS);

  function refuses(result: Extract<CachedResult, { kind: 'valid' }>, before: number): boolean {
    const iat = result.claims.iat;
    // RFC 7519 §4.1.6: `iat` says when the token was issued. A JWT without one cannot show it
    // was issued after the revocation; an introspection answer without one was just given by
    // the identity service, which knows the session ended.
    if (typeof iat !== 'number') return result.strategy === 'jwt';
    return iat * 1000 <= before;
  }

  return {
    subjectKey: (sub) => hashSubject(namespace, sub),

    record(subjectKey, issuedBeforeMs, keepMs) {
      revoked.raise(subjectKey, issuedBeforeMs, keepMs);
    },

    check(result, budget) {
      if (result.kind !== 'valid' || typeof result.claims.sub !== 'string') return result;
      const asksStore = budget !== undefined && store?.keepsRevocations === true;
      if (revoked.size === 0 && !asksStore) return result;
      const subjectKey = hashSubject(namespace, result.claims.sub);
      const local = revoked.get(subjectKey);
      if (local !== undefined && refuses(result, local)) return REVOKED;
      if (!asksStore || store === undefined) return result;
      return store
        .subjectRevokedBefore(subjectKey, budget)
        .then((shared) => (shared !== undefined && refuses(result, shared) ? REVOKED : result));
    },
  };
}
