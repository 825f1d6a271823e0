import { describe, expect, it } from 'vitest';
import { UpstreamUnavailableError } from '../src/errors.js';
import { parseIntrospectionResponse } from '../src/introspection/parse-introspection-response.js';

const now = 1_800_000_000;
const parse = (body: Record<string, unknown>) =>
  parseIntrospectionResponse(body, { clockToleranceSec: 5 }, now);

describe('parseIntrospectionResponse (RFC 7662 §2.2, validated not trusted)', () => {
  it('an active token with the contract fields is valid', () => {
    const body = {
      active: true,
      sub: 'u1',
      client_id: 'c',
      scope: 'a b',
      exp: now + 60,
      brand: 'x',
      token_type: 'Bearer',
    };
    expect(parse(body)).toEqual({ kind: 'valid', claims: body });
  });

  it('RFC 7662 §2.2: active:false is an inactive token', () => {
    expect(parse({ active: false })).toEqual({ kind: 'invalid', reason: 'token_inactive' });
  });

  it.each([{}, { active: 'true' }, { active: 1 }, { active: null }])(
    'an `active` that is not a boolean is an upstream fault, not a verdict (%j)',
    (body) => {
      expect(() => parse(body)).toThrow(UpstreamUnavailableError);
    },
  );

  it.each([
    { active: true, exp: 'soon' },
    { active: true, exp: Number.NaN },
    { active: true, scope: ['a'] },
    { active: true, username: 7 },
    { active: true, sub: {} },
    { active: true, aud: [1] },
  ])('claims of the wrong type are a verdict on this token, claim_invalid (%j)', (body) => {
    expect(parse(body)).toEqual({ kind: 'invalid', reason: 'claim_invalid' });
  });

  it.each([[7], [['acme']], [{ name: 'acme' }]])(
    'a brand of the wrong type (%j) is dropped: valid, but no brand requirement can pass',
    (brand) => {
      expect(parse({ active: true, sub: 'u1', brand })).toEqual({
        kind: 'valid',
        claims: { active: true, sub: 'u1' },
      });
    },
  );

  it('RFC 7519 §4.1.6: iat in the future beyond the tolerance is refused', () => {
    expect(parse({ active: true, iat: now + 60 })).toEqual({
      kind: 'invalid',
      reason: 'token_issued_in_future',
    });
    expect(parse({ active: true, iat: now + 2 }).kind).toBe('valid');
  });

  it('RFC 7662 §2.2: an aud must name our audience; requireAudience refuses a missing aud', () => {
    const checks = { clockToleranceSec: 5, audience: ['api'] };
    expect(parseIntrospectionResponse({ active: true, aud: 'other' }, checks, now)).toEqual({
      kind: 'invalid',
      reason: 'audience_mismatch',
    });
    expect(parseIntrospectionResponse({ active: true, aud: ['x', 'api'] }, checks, now).kind).toBe(
      'valid',
    );
    expect(parseIntrospectionResponse({ active: true }, checks, now).kind).toBe('valid');
    expect(
      parseIntrospectionResponse({ active: true }, { ...checks, requireAudience: true }, now),
    ).toEqual({ kind: 'invalid', reason: 'claim_missing' });
  });

  it('exp is re-checked against our clock, with tolerance', () => {
    expect(parse({ active: true, exp: now - 10 }).kind).toBe('invalid');
    expect(parse({ active: true, exp: now - 3 }).kind).toBe('valid');
  });

  it('nbf in the future (beyond tolerance) is not yet valid', () => {
    expect(parse({ active: true, nbf: now + 60 }).kind).toBe('invalid');
    expect(parse({ active: true, nbf: now + 2 }).kind).toBe('valid');
  });

  it('extra claims are kept', () => {
    const result = parse({ active: true, tenant: 't1', roles: ['a'] });
    expect(result.kind === 'valid' && result.claims.tenant).toBe('t1');
  });
});

describe('sender-constrained tokens (RFC 9449 §7.1, RFC 8705 §3)', () => {
  it('a bound token is a valid verdict carrying its cnf: possession is checked per request', () => {
    const dpop = parse({ active: true, token_type: 'DPoP', cnf: { jkt: 'x' } });
    expect(dpop.kind === 'valid' && dpop.claims.cnf).toEqual({ jkt: 'x' });
    const mtls = parse({ active: true, cnf: { 'x5t#S256': 'x' } });
    expect(mtls.kind === 'valid' && mtls.claims.cnf).toEqual({ 'x5t#S256': 'x' });
  });
});
