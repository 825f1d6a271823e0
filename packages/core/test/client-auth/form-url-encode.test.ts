import { describe, expect, it } from 'vitest';
import { clientSecretBasicHeader, formUrlEncode } from '../../src/client-auth/form-url-encode.js';

/** What a server does (RFC 6749 §2.3.1): base64-decode, split at the first ':', form-decode. */
function serverDecode(header: string): [string, string] {
  const decoded = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const formDecode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
  return [formDecode(decoded.slice(0, colon)), formDecode(decoded.slice(colon + 1))];
}

describe('formUrlEncode (RFC 6749 Appendix B)', () => {
  it('keeps A-Z a-z 0-9 - . _ and encodes space as +', () => {
    expect(formUrlEncode('Az09-._')).toBe('Az09-._');
    expect(formUrlEncode('a b')).toBe('a+b');
  });

  it("encodes ':' '%' '+' '&' '=' '/' and the sub-delimiters ! ' ( ) * ~", () => {
    expect(formUrlEncode(":%+&=/!'()*~")).toBe('%3A%25%2B%26%3D%2F%21%27%28%29%2A%7E');
  });

  it('encodes non-ASCII as UTF-8 octets (the RFC example value " %&+£€")', () => {
    expect(formUrlEncode(' %&+£€')).toBe('+%25%26%2B%C2%A3%E2%82%AC');
  });
});

describe('clientSecretBasicHeader (RFC 6749 §2.3.1)', () => {
  it('is Basic base64(encoded id ":" encoded secret)', () => {
    expect(clientSecretBasicHeader('rs', 'pw')).toBe(
      `Basic ${Buffer.from('rs:pw').toString('base64')}`,
    );
  });

  it("an id with ':' survives the server's split at the first ':'", () => {
    const header = clientSecretBasicHeader('urn:client:1', 'p:w');
    expect(Buffer.from(header.slice(6), 'base64').toString()).toBe('urn%3Aclient%3A1:p%3Aw');
    expect(serverDecode(header)).toEqual(['urn:client:1', 'p:w']);
  });

  it('round-trips ids and secrets with %, +, spaces and non-ASCII', () => {
    for (const [id, secret] of [
      ['a b+c', '100% sure'],
      ['klïent', 'pässwörd €😀'],
      ["!'()*~", '%2B'],
    ] as const) {
      expect(serverDecode(clientSecretBasicHeader(id, secret))).toEqual([id, secret]);
    }
  });
});
