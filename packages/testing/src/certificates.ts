/**
 * Self-signed X.509 certificates for mutual-TLS tests (RFC 8705), built with node:crypto
 * alone: an ECDSA P-256 key and a minimal v3 certificate (X.690 DER). Use one as a TLS
 * server certificate (`subjectAltName` localhost, 127.0.0.1) or as a client certificate,
 * and bind tokens to it with `certificateBinding(cert)`.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

export interface TestCertificate {
  /** PEM certificate, for `tls`/`https` `cert` (and `ca` on the other side). */
  readonly cert: string;
  /** PEM PKCS#8 private key, for `key`. */
  readonly key: string;
  readonly privateKey: KeyObject;
  /** DER bytes of the certificate. */
  readonly der: Buffer;
  /** RFC 8705 §3.1 `x5t#S256`: base64url SHA-256 of the DER certificate. */
  readonly thumbprint: string;
}

/** A fresh self-signed certificate, valid from an hour ago for a day. */
export function createTestCertificate(commonName = 'localhost'): TestCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const ecdsaWithSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));
  const now = Date.now();
  // RFC 5280 §4.1.2.2: a positive INTEGER; X.690 §8.3.2 DER forbids a leading zero byte, so
  // the first byte is kept in 0x40–0x7f (positive, never zero).
  const serial = randomBytes(8);
  serial[0] = ((serial[0] ?? 0) & 0x3f) | 0x40;
  // subjectAltName: DNS localhost, IP 127.0.0.1 and ::1 (RFC 5280 §4.2.1.6).
  const san = seq(
    tlv(0x82, Buffer.from('localhost')),
    tlv(0x87, Buffer.from([127, 0, 0, 1])),
    tlv(0x87, Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
  );
  const extensions = tlv(0xa3, seq(seq(oid('2.5.29.17'), tlv(0x04, san))));
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 3_600_000)), utcTime(new Date(now + 86_400_000))),
    name,
    spki,
    extensions,
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, ecdsaWithSha256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const base64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${base64}${base64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    privateKey,
    der,
    thumbprint: createHash('sha256').update(der).digest('base64url'),
  };
}

/**
 * Claims that bind a minted token to a client certificate (RFC 8705 §3.1): pass them to
 * `mintToken` or `mintJwt`.
 */
export function certificateBinding(certificate: Pick<TestCertificate, 'thumbprint'>): {
  extra: { cnf: { 'x5t#S256': string } };
} {
  return { extra: { cnf: { 'x5t#S256': certificate.thumbprint } } };
}

function tlv(tag: number, value: Buffer): Buffer {
  const length = value.length;
  let header: Buffer;
  if (length < 0x80) header = Buffer.from([tag, length]);
  else if (length < 0x100) header = Buffer.from([tag, 0x81, length]);
  else header = Buffer.from([tag, 0x82, length >> 8, length & 0xff]);
  return Buffer.concat([header, value]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function utcTime(date: Date): Buffer {
  const text = date.toISOString().replace(/[-:T]/g, '').slice(2, 14);
  return tlv(0x17, Buffer.from(`${text}Z`));
}
