/**
 * A refused Security Event Token delivery, answered as RFC 8935 §2.3 says: HTTP 400 with a
 * JSON body `{ "err": <code>, "description": <text> }`, the codes from the registry of
 * RFC 8935 §7.1 (§2.4). The one exception is the transmitter's own HTTP credentials: a
 * missing or wrong `Authorization` header is a plain HTTP 401 (RFC 9110 §15.5.2).
 */

import { brandClass, brandOf, isBrandedInstance } from '../internal/symbols.js';

/** RFC 8935 §2.4 error codes. */
export type SecurityEventErrorCode =
  | 'invalid_request'
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed'
  | 'access_denied';

/**
 * @example
 * throw new SecurityEventError('invalid_issuer', 'The SET was not issued by the transmitter');
 */
export class SecurityEventError extends Error {
  readonly code: SecurityEventErrorCode;
  readonly status: 400 | 401;
  /** Fixed public text for the `description` member; never carries SET content. */
  readonly description: string;

  constructor(code: SecurityEventErrorCode, description: string, status: 400 | 401 = 400) {
    super(`shared signals: ${code}: ${description}`);
    this.name = 'SecurityEventError';
    this.code = code;
    this.status = status;
    this.description = description;
  }

  /** True for a refusal of this kind, even one created by another copy of the package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against.
    return isBrandedInstance(this, value);
  }
}
brandClass(SecurityEventError, brandOf('security_event_error'));
