import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ServerError } from '../src/errors.js';
import { type ExtractionSettings, extractBearerToken } from '../src/token/extract-bearer-token.js';
import { isCorsPreflight } from '../src/token/is-cors-preflight.js';
import type { RequestLike } from '../src/types.js';

const base: ExtractionSettings = {
  allowQueryToken: false,
  allowBodyToken: false,
  maxHeaderBytes: 8192,
};
const cookie: ExtractionSettings = { ...base, cookie: 'at' };
const request = (over: Partial<RequestLike> = {}): RequestLike => ({
  method: 'GET',
  url: '/',
  headers: {},
  ...over,
});
const thrown = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('token in a cookie', () => {
  it('reads the named cookie, quoted or percent-encoded', () => {
    expect(extractBearerToken(request({ headers: { cookie: 'a=1; at=abc; b=2' } }), cookie)).toBe(
      'abc',
    );
    expect(extractBearerToken(request({ headers: { cookie: 'at="abc"' } }), cookie)).toBe('abc');
    expect(extractBearerToken(request({ headers: { cookie: 'at=ab%2Bc%3D' } }), cookie)).toBe(
      'ab+c=',
    );
  });

  it('RFC 9110 §9.2.1: only safe methods, unless opted in', () => {
    const post = request({ method: 'POST', headers: { cookie: 'at=abc' } });
    expect(extractBearerToken(post, cookie)).toBeUndefined();
    expect(extractBearerToken(post, { ...cookie, cookieOnUnsafeMethods: true })).toBe('abc');
    expect(extractBearerToken({ ...post, method: 'HEAD' }, cookie)).toBe('abc');
  });

  it.each(['at=a; at=b', 'at=%E0%A4%A', 'at=a{b}'])('%s → 400', (value) => {
    expect(
      thrown(() => extractBearerToken(request({ headers: { cookie: value } }), cookie)),
    ).toBeInstanceOf(InvalidRequestError);
  });

  it('an empty cookie is no token', () => {
    expect(extractBearerToken(request({ headers: { cookie: 'at=' } }), cookie)).toBeUndefined();
  });
});

describe('getToken', () => {
  it('a TokenGuardError it throws is kept; anything else is a 500', () => {
    const fail = (error: unknown) => ({
      ...base,
      getToken: () => {
        throw error;
      },
    });
    expect(
      thrown(() => extractBearerToken(request(), fail(new InvalidRequestError('x')))),
    ).toBeInstanceOf(InvalidRequestError);
    expect(thrown(() => extractBearerToken(request(), fail(new Error('bug'))))).toBeInstanceOf(
      ServerError,
    );
    const wrongType = { ...base, getToken: () => 42 as unknown as string };
    expect(thrown(() => extractBearerToken(request(), wrongType))).toBeInstanceOf(ServerError);
  });

  it('null and the empty string are no token', () => {
    expect(extractBearerToken(request(), { ...base, getToken: () => null })).toBeUndefined();
    expect(extractBearerToken(request(), { ...base, getToken: () => '' })).toBeUndefined();
  });
});

describe('isCorsPreflight (Fetch §3.2.2)', () => {
  it('needs OPTIONS, Origin and Access-Control-Request-Method', () => {
    const headers = { origin: 'https://a', 'access-control-request-method': 'PUT' };
    expect(isCorsPreflight(request({ method: 'OPTIONS', headers }))).toBe(true);
    expect(isCorsPreflight(request({ method: 'GET', headers }))).toBe(false);
    expect(isCorsPreflight(request({ method: 'OPTIONS', headers: { origin: 'https://a' } }))).toBe(
      false,
    );
  });
});
