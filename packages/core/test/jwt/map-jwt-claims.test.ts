import { describe, expect, it } from 'vitest';
import { mapJwtClaims } from '../../src/jwt/map-jwt-claims.js';

describe('mapJwtClaims: JWT claims in the introspection shape', () => {
  it('RFC 9068 §2.2: keeps the registered and contract claims, adds active: true', () => {
    const claims = mapJwtClaims({
      iss: 'https://id.example',
      sub: 'user-1',
      aud: ['api', 'other'],
      exp: 2000,
      iat: 1000,
      nbf: 1000,
      client_id: 'client-1',
      scope: 'orders:read orders:write',
      brand: 'acme',
      token_type: 'Bearer',
      jti: 'j-1',
      tenant: { id: 7 },
    });
    expect(claims).toEqual({
      active: true,
      iss: 'https://id.example',
      sub: 'user-1',
      aud: ['api', 'other'],
      exp: 2000,
      iat: 1000,
      nbf: 1000,
      client_id: 'client-1',
      scope: 'orders:read orders:write',
      brand: 'acme',
      token_type: 'Bearer',
      jti: 'j-1',
      tenant: { id: 7 },
    });
    expect(Object.isFrozen(claims)).toBe(true);
  });

  it('scp as a list (Okta, Azure AD) becomes the space-separated scope', () => {
    expect(mapJwtClaims({ scp: ['a', 'b'] }).scope).toBe('a b');
  });

  it('scp as a string becomes the scope', () => {
    expect(mapJwtClaims({ scp: 'a b' }).scope).toBe('a b');
  });

  it('RFC 9068 §2.2.3: scope wins over scp', () => {
    expect(mapJwtClaims({ scope: 'a', scp: ['b'] }).scope).toBe('a');
  });

  it('RFC 6749 §3.3: a scope list given as an array is joined with single spaces', () => {
    expect(mapJwtClaims({ scope: ['a', 'b'] } as never).scope).toBe('a b');
  });

  it('a scope or scp of the wrong type refuses the token (claim_invalid)', () => {
    expect(() => mapJwtClaims({ scope: 42 } as never)).toThrow(
      expect.objectContaining({ reason: 'claim_invalid', status: 401 }),
    );
    expect(() => mapJwtClaims({ scp: ['a b'] })).toThrow(
      expect.objectContaining({ reason: 'claim_invalid' }),
    );
  });

  it('OIDC azp stands in for a missing client_id; client_id wins when both exist', () => {
    expect(mapJwtClaims({ azp: 'web' }).client_id).toBe('web');
    expect(mapJwtClaims({ azp: 'web', client_id: 'api-client' }).client_id).toBe('api-client');
  });

  it('sub, client_id or token_type of the wrong JSON type refuse the token', () => {
    for (const claims of [{ sub: {} }, { client_id: [] }, { token_type: false }, { azp: 7 }]) {
      expect(() => mapJwtClaims(claims as never)).toThrow(
        expect.objectContaining({ reason: 'claim_invalid', status: 401 }),
      );
    }
  });

  it('a brand of the wrong JSON type is dropped (a brand requirement then answers 403)', () => {
    expect(mapJwtClaims({ brand: 1, sub: 'u' } as never)).toEqual({ active: true, sub: 'u' });
  });

  it('an active claim inside a verified token cannot turn it inactive', () => {
    expect(mapJwtClaims({ active: false } as never).active).toBe(true);
  });

  it('token_type stays absent when the token has none', () => {
    expect(mapJwtClaims({ sub: 'u' })).not.toHaveProperty('token_type');
  });
});
