/**
 * Which subjects a security event is about. A subject is named by an RFC 9493 Subject
 * Identifier: in the event payload's `subject` member (CAEP implementer's drafts), in the
 * SET's `sub_id` claim (OpenID SSF 1.0), or as the SET's plain `sub` claim (RFC 8417 §2.2).
 * The guard caches by its tokens' `sub`, so each identifier is mapped onto such a value.
 */
import { isPlainObject } from '../options/validators.js';
import type { SecurityEvent } from './verify-security-event-token.js';

/** An RFC 9493 Subject Identifier (`format` plus that format's members). */
export interface SubjectIdentifier {
  readonly format: string;
  readonly [member: string]: unknown;
}

/**
 * Maps one subject identifier onto the `sub` values to evict; `undefined` (or an empty
 * list) when the identifier cannot be mapped. The default, {@link defaultSubjectFor}:
 * `iss_sub` → its `sub`; `opaque` → its `id`; `email` → its `email` (for issuers whose
 * tokens carry the e-mail address as `sub`).
 */
export type SubjectMapper = (
  identifier: SubjectIdentifier,
) => string | readonly string[] | undefined | Promise<string | readonly string[] | undefined>;

export function defaultSubjectFor(identifier: SubjectIdentifier): string | undefined {
  const member =
    identifier.format === 'iss_sub'
      ? identifier.sub
      : identifier.format === 'opaque'
        ? identifier.id
        : identifier.format === 'email'
          ? identifier.email
          : undefined;
  return typeof member === 'string' && member !== '' ? member : undefined;
}

/**
 * The identifiers an event names: complex subjects (SSF 1.0 §3.2) contribute their `user`,
 * `aliases` (RFC 9493 §3.2.4) each of theirs. A plain `sub` claim counts as `opaque`.
 */
export function identifiersOfEvent(
  set: SecurityEvent,
  payload: Readonly<Record<string, unknown>>,
): SubjectIdentifier[] {
  const found: SubjectIdentifier[] = [];
  collect(payload.subject, found, 0);
  collect(set.sub_id, found, 0);
  if (set.sub !== undefined) found.push({ format: 'opaque', id: set.sub });
  return found;
}

function collect(value: unknown, into: SubjectIdentifier[], depth: number): void {
  // Nesting is one level deep by definition (aliases of simple identifiers, a complex
  // subject's members); the bound keeps a hostile document from recursing.
  if (depth > 2 || !isPlainObject(value)) return;
  // SSF 1.0 §3.2: a complex subject has no `format` and names the user in `user`
  // (earlier drafts spelled it `format: "complex"`).
  if (value.format === undefined || value.format === 'complex') {
    collect(value.user, into, depth + 1);
  } else if (typeof value.format !== 'string') {
    return;
  } else if (value.format === 'aliases' && Array.isArray(value.identifiers)) {
    for (const item of value.identifiers.slice(0, 16)) collect(item, into, depth + 1);
  } else {
    into.push(value as SubjectIdentifier);
  }
}
