/**
 * The base64url alphabet without padding (RFC 4648 §5; RFC 7515 §2 "Base64url Encoding"):
 * the only characters a compact JWS or JWE segment may hold. One home for the JOSE shape
 * checks (routing, the JWS helper, the node:crypto verifier).
 */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Whether `text` uses only the unpadded base64url alphabet (the empty string does). */
export function isBase64Url(text: string): boolean {
  return BASE64URL.test(text);
}
