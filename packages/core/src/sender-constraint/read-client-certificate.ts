/**
 * The TLS client certificate of a request (RFC 8705 §3), as DER bytes: from the
 * connection itself, or — behind a TLS-terminating proxy — from a header the application
 * names, and only when the request came from a proxy it lists. Any client can send any
 * header, so a header from anywhere else is ignored, and nothing is read by default.
 */
import { isIP } from 'node:net';
import type { CertificateSource } from '../options/types.js';
import type { RequestLike } from '../types.js';

export function readClientCertificate(
  request: RequestLike,
  source: CertificateSource,
): Uint8Array | undefined {
  if (source === 'socket') {
    const certificate = request.socket?.getPeerCertificate?.(true);
    const raw = certificate?.raw;
    return raw instanceof Uint8Array && raw.length > 0 ? raw : undefined;
  }
  const peer = request.socket?.remoteAddress;
  if (peer === undefined || !source.trustedProxies.includes(canonicalAddress(peer))) {
    return undefined;
  }
  const value = request.headers[source.header];
  // Several values: the proxy did not replace what the client sent. Fail closed.
  if (typeof value !== 'string' || value === '') return undefined;
  return certificateFromHeader(value);
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is compared as `10.0.0.1`. */
export function canonicalAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  return isIP(address) === 6 ? address.toLowerCase() : address;
}

const PEM = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/;

/**
 * Accepts the forms proxies use: RFC 9440 `Client-Cert` (`:base64-DER:`), a URL-encoded
 * PEM (nginx `$ssl_client_escaped_cert`, AWS ALB), a PEM, or bare base64 DER.
 */
export function certificateFromHeader(value: string): Uint8Array | undefined {
  let text = value.trim();
  if (text.startsWith(':') && text.endsWith(':') && text.length > 2) text = text.slice(1, -1);
  else if (text.includes('%')) {
    try {
      text = decodeURIComponent(text);
    } catch {
      return undefined;
    }
  }
  const pem = PEM.exec(text);
  const base64 = (pem?.[1] ?? text).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const der = Buffer.from(base64, 'base64');
  // A certificate is a DER SEQUENCE (X.690 §8.9): anything else is not one.
  return der.length > 16 && der[0] === 0x30 ? der : undefined;
}
