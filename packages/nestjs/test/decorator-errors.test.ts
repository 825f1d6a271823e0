// A bad decorator argument fails where the controller is declared, and the error names the
// decorator the app wrote (`@RequireScopes(…)`), not the route helper it is built on.
import { describe, expect, it } from 'vitest';
import {
  RequireAnyScope,
  RequireAuthContext,
  RequireBrand,
  RequireClaims,
  RequireDpop,
  RequireScopes,
  TokenGuardConfigError,
} from '../src/index.js';

/** The configuration error `declare()` throws. */
function errorOf(declare: () => unknown): TokenGuardConfigError {
  try {
    declare();
  } catch (error) {
    if (error instanceof TokenGuardConfigError) return error;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('decorator errors name the decorator as written', () => {
  it("@RequireScopes('a b') says to pass scopes as separate arguments, to the decorator", () => {
    const error = errorOf(() => RequireScopes('a b'));
    expect(error.option).toBe('@RequireScopes(…)');
    expect(error.message).toBe(
      "tokenguard: option `@RequireScopes(…)` got 'a b': pass scopes as separate arguments, @RequireScopes('a', 'b')",
    );
    expect(errorOf(() => RequireAnyScope(['read write'])).message).toBe(
      "tokenguard: option `@RequireAnyScope(…)` got 'read write': pass scopes as separate arguments, @RequireAnyScope('read', 'write')",
    );
  });

  it('RFC 6749 §3.3: an invalid scope, and an empty list, name the decorator', () => {
    expect(errorOf(() => RequireScopes('ok', 'a"')).message).toBe(
      'tokenguard: option `@RequireScopes(…)` has an invalid scope at [1]: RFC 6749 §3.3 scope tokens are non-empty printable ASCII without spaces, quotes or backslashes',
    );
    expect(errorOf(() => RequireScopes()).message).toBe(
      'tokenguard: option `@RequireScopes(…)` must name at least one scope (an empty list would accept every token)',
    );
    expect(errorOf(() => RequireAnyScope()).option).toBe('@RequireAnyScope(…)');
  });

  it('every other requirement decorator names itself', () => {
    expect(errorOf(() => RequireBrand('' as never)).option).toBe('@RequireBrand(…)');
    expect(errorOf(() => RequireClaims('sub' as never)).option).toBe('@RequireClaims(…)');
    expect(errorOf(() => RequireAuthContext({ maxAgeSec: -1 })).option).toBe(
      '@RequireAuthContext(…).maxAgeSec',
    );
    expect(errorOf(() => RequireDpop('sometimes' as never)).option).toBe('@RequireDpop(…)');
  });

  it('a valid decorator is checked once and does not throw', () => {
    expect(() => RequireScopes('orders:read', 'orders:write')).not.toThrow();
    expect(() => RequireAuthContext({ acr: ['urn:example:mfa'], maxAgeSec: 300 })).not.toThrow();
  });
});
