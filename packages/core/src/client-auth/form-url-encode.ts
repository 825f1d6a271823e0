/**
 * RFC 6749 §2.3.1 / Appendix B: before they are joined with ':' and base64-encoded for HTTP
 * Basic, the client id and secret are each encoded with `application/x-www-form-urlencoded`.
 * Skipping this step (as many clients do) breaks every id or secret holding ':', '%', '+',
 * a space or non-ASCII text, because the server form-decodes both halves.
 */

/**
 * Encodes one value as `application/x-www-form-urlencoded` (RFC 6749 Appendix B): UTF-8,
 * every octet outside `A-Z a-z 0-9 - . _` percent-encoded in upper-case hex, space as `+`.
 * Unlike `encodeURIComponent`, the sub-delimiters `! ' ( ) * ~` are encoded too, so the
 * result is the same under any form decoder. Throws `URIError` on a lone surrogate (the
 * option normaliser refuses such strings first).
 */
export function formUrlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/**
 * The `Authorization` header value for `client_secret_basic` (RFC 6749 §2.3.1):
 * `Basic base64(formUrlEncode(clientId) ":" formUrlEncode(clientSecret))`.
 */
export function clientSecretBasicHeader(clientId: string, clientSecret: string): string {
  const pair = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}
