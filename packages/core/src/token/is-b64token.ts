/**
 * RFC 6750 §2.1: `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
 * One check for both directions: tokens presented to us (RFC 6750 §2 extraction), and
 * every bearer token we put in an `Authorization` header ourselves, so a token from a user
 * callback or a token endpoint can never inject a header (CR/LF) or break the syntax.
 */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** True when `value` is a string with RFC 6750 §2.1 `b64token` syntax. */
export function isB64token(value: unknown): value is string {
  return typeof value === 'string' && B64TOKEN.test(value);
}
