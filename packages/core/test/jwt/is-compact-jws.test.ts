import { describe, expect, it } from 'vitest';
import { isCompactJws } from '../../src/jwt/is-compact-jws.js';

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const header = segment({ alg: 'RS256', typ: 'at+jwt', kid: 'k1' });
const payload = segment({ sub: 'u1' });

describe('isCompactJws (auto-mode routing)', () => {
  it('RFC 7515 §7.1: three base64url segments with a JSON header carrying alg → JWS', () => {
    expect(isCompactJws(`${header}.${payload}.c2lnbmF0dXJl`)).toBe(true);
  });

  it('RFC 7519 §6: an unsecured token (empty signature) is still routed to local refusal', () => {
    expect(isCompactJws(`${segment({ alg: 'none' })}.${payload}.`)).toBe(true);
  });

  it.each([
    ['an opaque token', '2YotnFZFEjr1zCsicMWpAA'],
    ['an opaque token with dots', 'abc.def.ghi'],
    ['two segments', `${header}.${payload}`],
    ['four segments', `${header}.${payload}.sig.extra`],
    ['a JWE (five segments, RFC 7516 §7.1)', `${header}.key.iv.${payload}.tag`],
    ['an empty header', `.${payload}.sig`],
    ['an empty payload', `${header}..sig`],
    ['a header that is not base64url', `${header}+/.${payload}.sig`],
    ['a payload that is not base64url', `${header}.${payload}~.sig`],
    ['a signature that is not base64url', `${header}.${payload}.s=g`],
    [
      'a header that is not JSON',
      `${Buffer.from('not json').toString('base64url')}.${payload}.sig`,
    ],
    ['a JSON array header', `${segment(['alg'])}.${payload}.sig`],
    ['a JSON null header', `${segment(null)}.${payload}.sig`],
    ['a header without alg', `${segment({ typ: 'JWT' })}.${payload}.sig`],
    ['a header whose alg is not a string', `${segment({ alg: 256 })}.${payload}.sig`],
    ['an empty string', ''],
  ])('RFC 7515 §7.1: %s is not a compact JWS', (_name, token) => {
    expect(isCompactJws(token)).toBe(false);
  });

  it('refuses an absurdly long header without decoding it', () => {
    const huge = segment({ alg: 'RS256', pad: 'x'.repeat(5000) });
    expect(isCompactJws(`${huge}.${payload}.sig`)).toBe(false);
  });
});
