import { describe, expect, it } from 'vitest';
import { buildChallenge, quoteAttributeValue } from '../src/http/build-challenge.js';

describe('buildChallenge (RFC 6750 §3)', () => {
  it('RFC 6750 §3.1: a request without credentials gets a bare realm, no error attribute', () => {
    expect(buildChallenge({ realm: 'api' })).toBe('Bearer realm="api"');
  });

  it('RFC 6750 §3: attributes appear in a fixed order, comma-separated', () => {
    expect(buildChallenge({ realm: 'api', error: 'insufficient_scope', scope: 'a b' })).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="a b"',
    );
  });

  it('RFC 9110 §5.6.4: quotes and backslashes are escaped inside quoted-strings', () => {
    expect(quoteAttributeValue('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('CR, LF, NUL and non-ASCII are dropped so nothing can split or break the header', () => {
    const value = buildChallenge({ realm: 'x\r\nSet-Cookie: a=b\u0000é' });
    expect(value).toBe('Bearer realm="xSet-Cookie: a=b"');
    expect(value).not.toMatch(/[\r\n\0]/);
  });

  it('no attributes gives the bare scheme', () => {
    expect(buildChallenge({})).toBe('Bearer');
  });
});
