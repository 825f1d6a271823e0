import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certificateBinding, createTestCertificate } from '../src/index.js';

describe('createTestCertificate', () => {
  it('X.690 DER: every certificate parses, also with a random serial of leading zero bits', () => {
    // The serial is random: a leading zero byte once made one certificate in ~256 unparsable.
    for (let i = 0; i < 512; i++) {
      const certificate = createTestCertificate(`client-${i}`);
      const parsed = new X509Certificate(certificate.cert);
      expect(parsed.raw.equals(certificate.der)).toBe(true);
      expect(Number.parseInt(parsed.serialNumber.slice(0, 2), 16)).toBeGreaterThanOrEqual(0x40);
    }
  });

  it('serves as a TLS certificate, for localhost and the loopback addresses', () => {
    const certificate = createTestCertificate('localhost');
    expect(() =>
      createSecureContext({ cert: certificate.cert, key: certificate.key }),
    ).not.toThrow();
    const parsed = new X509Certificate(certificate.cert);
    expect(parsed.checkHost('localhost')).toBe('localhost');
    expect(parsed.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(parsed.verify(parsed.publicKey)).toBe(true);
  });

  it('RFC 8705 §3.1: the binding is the base64url SHA-256 of the DER certificate', () => {
    const certificate = createTestCertificate();
    expect(certificateBinding(certificate)).toEqual({
      extra: { cnf: { 'x5t#S256': certificate.thumbprint } },
    });
    expect(Buffer.from(certificate.thumbprint, 'base64url').toString('hex').toUpperCase()).toBe(
      new X509Certificate(certificate.cert).fingerprint256.replaceAll(':', ''),
    );
  });
});
