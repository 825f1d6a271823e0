import { describe, expect, it } from 'vitest';
import { createAuthContext } from '../src/auth-context.js';
import { TokenGuardConfigError, TokenGuardError } from '../src/errors.js';
import { authorizeClaims } from '../src/policy/authorize-claims.js';
import { normalizeRequirements } from '../src/policy/normalize-requirements.js';
import type { RequestLike, Requirements, TokenClaims } from '../src/types.js';

const request: RequestLike = { method: 'GET', url: '/', headers: { 'x-brand': 'evil' } };
const auth = (claims: Partial<TokenClaims>) =>
  createAuthContext('tok', { active: true, ...claims } as TokenClaims, 'introspection');

async function outcome(claims: Partial<TokenClaims>, requirements: Requirements, req = request) {
  try {
    await authorizeClaims(auth(claims), normalizeRequirements(requirements), req);
    return 'ok';
  } catch (error) {
    return error instanceof TokenGuardError ? `${error.status} ${error.code}` : 'crash';
  }
}

describe('requirements', () => {
  it('scopes: all of', async () => {
    expect(await outcome({ scope: 'a b c' }, { scopes: ['a', 'c'] })).toBe('ok');
    expect(await outcome({ scope: 'a b' }, { scopes: ['a', 'c'] })).toBe('403 insufficient_scope');
    expect(await outcome({}, { scopes: ['a'] })).toBe('403 insufficient_scope');
  });

  it('scopes: any of', async () => {
    expect(await outcome({ scope: 'b' }, { anyScope: ['a', 'b'] })).toBe('ok');
    expect(await outcome({ scope: 'c' }, { anyScope: ['a', 'b'] })).toBe('403 insufficient_scope');
  });

  it('brand: string, list and function of the request, compared with the token claim only', async () => {
    expect(await outcome({ brand: 'acme' }, { brand: 'acme' })).toBe('ok');
    expect(await outcome({ brand: 'acme' }, { brand: ['x', 'acme'] })).toBe('ok');
    expect(await outcome({ brand: 'evil' }, { brand: 'acme' })).toBe('403 invalid_brand');
    expect(await outcome({}, { brand: 'acme' })).toBe('403 invalid_brand');
    const fromHost = (r: RequestLike) => (r.headers.host === 'acme.example' ? 'acme' : undefined);
    expect(
      await outcome(
        { brand: 'acme' },
        { brand: fromHost },
        { ...request, headers: { host: 'acme.example' } },
      ),
    ).toBe('ok');
    expect(await outcome({ brand: 'acme' }, { brand: fromHost })).toBe('403 invalid_brand');
  });

  it('a custom predicate refuses with 403 access_denied; a throwing one fails closed with 500', async () => {
    expect(await outcome({ sub: 'u1' }, { predicate: (a) => a.claims.sub === 'u1' })).toBe('ok');
    expect(await outcome({ sub: 'u2' }, { predicate: (a) => a.claims.sub === 'u1' })).toBe(
      '403 access_denied',
    );
    expect(
      await outcome(
        {},
        {
          predicate: () => {
            throw new Error('bug');
          },
        },
      ),
    ).toBe('500 server_error');
  });

  it('bad requirements are configuration errors at declaration time', () => {
    expect(() => normalizeRequirements({ scopes: ['a b'] })).toThrow(TokenGuardConfigError);
    expect(() => normalizeRequirements({ anyScope: [] })).toThrow(TokenGuardConfigError);
    expect(() => normalizeRequirements({ brand: '' })).toThrow(TokenGuardConfigError);
    expect(() => normalizeRequirements({ predicate: 'x' as never })).toThrow(TokenGuardConfigError);
  });

  it('the raw token is not enumerable on the auth context', () => {
    const context = auth({ scope: 'a' });
    expect(context.token).toBe('tok');
    expect(JSON.stringify(context)).not.toContain('tok"');
    expect(Object.keys(context)).not.toContain('token');
  });
});

describe('requirements: one order wherever they are set', () => {
  const stepUp = { acr: ['mfa'] };
  const refusedBy = async (claims: Partial<TokenClaims>, ...sets: Requirements[]) => {
    try {
      await authorizeClaims(
        auth(claims),
        sets.map((set) => normalizeRequirements(set)),
        request,
      );
      return 'ok';
    } catch (error) {
      return error instanceof TokenGuardError ? `${error.status} ${error.reason}` : 'crash';
    }
  };

  it('within one requirement: step-up, then scopes, then brand, then predicate', async () => {
    const all: Requirements = {
      authContext: stepUp,
      scopes: ['a'],
      brand: 'acme',
      predicate: () => false,
    };
    expect(await refusedBy({}, all)).toBe('401 user_authentication_insufficient');
    expect(await refusedBy({ acr: 'mfa' }, all)).toBe('403 scope_insufficient');
    expect(await refusedBy({ acr: 'mfa', scope: 'a' }, all)).toBe('403 brand_mismatch');
    expect(await refusedBy({ acr: 'mfa', scope: 'a', brand: 'acme' }, all)).toBe(
      '403 access_denied',
    );
  });

  it('RFC 9470: a route’s step-up (401) comes before a guard-wide scope (403)', async () => {
    expect(await refusedBy({}, { scopes: ['a'] }, { authContext: stepUp })).toBe(
      '401 user_authentication_insufficient',
    );
    expect(await refusedBy({ acr: 'mfa' }, { scopes: ['a'] }, { authContext: stepUp })).toBe(
      '403 scope_insufficient',
    );
  });

  it('a guard-wide step-up comes before a route’s scopes and brand', async () => {
    expect(await refusedBy({}, { authContext: stepUp }, { scopes: ['a'], brand: 'acme' })).toBe(
      '401 user_authentication_insufficient',
    );
  });

  it('a route that requires DPoP is checked before any step-up (RFC 9449 §7.1)', async () => {
    expect(await refusedBy({}, { authContext: stepUp }, { dpop: 'required' })).toBe(
      '401 dpop_required',
    );
  });

  it('every set’s scopes are checked before any set’s brand', async () => {
    expect(await refusedBy({ scope: 'a' }, { brand: 'acme' }, { scopes: ['b'] })).toBe(
      '403 scope_insufficient',
    );
  });
});
