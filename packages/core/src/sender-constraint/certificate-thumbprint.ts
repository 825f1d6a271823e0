/**
 * RFC 8705 §3.1: `x5t#S256` is the base64url SHA-256 of the DER-encoded certificate.
 */
import { createHash } from 'node:crypto';

export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}
