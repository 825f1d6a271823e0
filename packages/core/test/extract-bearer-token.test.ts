import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../src/errors.js';
import { type ExtractionSettings, extractBearerToken } from '../src/token/extract-bearer-token.js';
import type { RequestLike } from '../src/types.js';

const defaults: ExtractionSettings = {
  allowQueryToken: false,
  allowBodyToken: false,
  maxHeaderBytes: 8192,
};
const all: ExtractionSettings = { ...defaults, allowQueryToken: true, allowBodyToken: true };

function request(over: Partial<RequestLike> = {}): RequestLike {
  return { method: 'GET', url: '/', headers: {}, ...over };
}
const withAuth = (authorization: string) => request({ headers: { authorization } });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof InvalidRequestError ? error.code : 'other';
  }
  return 'none';
};

describe('extractBearerToken (RFC 6750 §2)', () => {
  it('RFC 6750 §2.1: reads the Authorization header', () => {
    expect(extractBearerToken(withAuth('Bearer abc.DEF-_~+/=='), defaults)).toBe('abc.DEF-_~+/==');
  });

  it.each(['bearer abc', 'BEARER abc', 'BeArEr abc'])(
    'RFC 9110 §11.1: scheme is case-insensitive (%s)',
    (h) => {
      expect(extractBearerToken(withAuth(h), defaults)).toBe('abc');
    },
  );

  it('no header, or another scheme, means no bearer token', () => {
    expect(extractBearerToken(request(), defaults)).toBeUndefined();
    expect(extractBearerToken(withAuth('Basic dXNlcjpwYXNz'), defaults)).toBeUndefined();
    expect(extractBearerToken(withAuth('Bearerx abc'), defaults)).toBeUndefined();
  });

  it.each([
    'Bearer',
    'Bearer ',
    'Bearer a b',
    'Bearer a,b',
    'Bearer a"b',
    'Bearer ===',
    'Bearer a\tb',
    'Bearer a=b',
  ])('RFC 6750 §2.1: a malformed credential is invalid_request (%j)', (h) => {
    expect(code(() => extractBearerToken(withAuth(h), defaults))).toBe('invalid_request');
  });

  it('an over-long header is invalid_request, not a crash', () => {
    const h = `Bearer ${'a'.repeat(9000)}`;
    expect(code(() => extractBearerToken(withAuth(h), defaults))).toBe('invalid_request');
  });

  it('two Authorization headers (seen in rawHeaders) are invalid_request', () => {
    const r = request({
      headers: { authorization: 'Bearer a' },
      rawHeaders: ['Authorization', 'Bearer a', 'authorization', 'Bearer b'],
    });
    expect(code(() => extractBearerToken(r, defaults))).toBe('invalid_request');
    const list = request({ headers: { authorization: ['Bearer a', 'Bearer b'] } });
    expect(code(() => extractBearerToken(list, defaults))).toBe('invalid_request');
  });

  it('RFC 6750 §2.3: query tokens are ignored unless enabled', () => {
    const r = request({ url: '/x?access_token=abc' });
    expect(extractBearerToken(r, defaults)).toBeUndefined();
    expect(extractBearerToken(r, all)).toBe('abc');
  });

  it('RFC 6750 §2: a token in two places, or twice in the query, is invalid_request', () => {
    const both = request({ url: '/x?access_token=abc', headers: { authorization: 'Bearer abc' } });
    expect(code(() => extractBearerToken(both, all))).toBe('invalid_request');
    expect(
      code(() => extractBearerToken(request({ url: '/?access_token=a&access_token=b' }), all)),
    ).toBe('invalid_request');
  });

  it('RFC 6750 §2.2: body tokens only with the form content type and a method with a body', () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    const post = request({ method: 'POST', headers: form, body: { access_token: 'abc' } });
    expect(extractBearerToken(post, defaults)).toBeUndefined();
    expect(extractBearerToken(post, all)).toBe('abc');
    expect(extractBearerToken({ ...post, body: 'x=1&access_token=abc' }, all)).toBe('abc');
    const json = request({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: { access_token: 'abc' },
    });
    expect(extractBearerToken(json, all)).toBeUndefined();
    expect(extractBearerToken({ ...post, method: 'GET' }, all)).toBeUndefined();
    expect(
      code(() => extractBearerToken({ ...post, body: { access_token: ['a', 'b'] } }, all)),
    ).toBe('invalid_request');
  });
});
