import { describe, expect, it } from 'vitest';
import { InsufficientUserAuthenticationError, TokenGuardConfigError } from '../src/errors.js';
import { checkAuthContext } from '../src/step-up/check-auth-context.js';
import { normalizeAuthContextRequirement } from '../src/step-up/normalize-auth-context-requirement.js';
import type { TokenClaims } from '../src/types.js';

const NOW = 1_800_000_000;
const claims = (extra: Record<string, unknown>): TokenClaims => ({ active: true, ...extra });
const refusal = (fn: () => void) => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('RFC 9470 step-up: checkAuthContext', () => {
  it('an accepted acr and a recent auth_time pass', () => {
    expect(() =>
      checkAuthContext(
        claims({ acr: 'mfa', auth_time: NOW - 60 }),
        { acr: ['mfa'], maxAgeSec: 300 },
        undefined,
        NOW,
      ),
    ).not.toThrow();
  });

  it('RFC 9470 §3: another acr → insufficient_user_authentication carrying acr_values and max_age', () => {
    const error = refusal(() =>
      checkAuthContext(
        claims({ acr: 'pwd' }),
        { acr: ['mfa', 'hwk'], maxAgeSec: 300 },
        undefined,
        NOW,
      ),
    ) as InsufficientUserAuthenticationError;
    expect(error).toBeInstanceOf(InsufficientUserAuthenticationError);
    expect(error.status).toBe(401);
    expect(error.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_user_authentication", acr_values="mfa hwk", max_age="300"',
    );
  });

  it.each([
    ['missing', {}],
    ['a string', { auth_time: String(NOW) }],
    ['too old', { auth_time: NOW - 301 }],
    ['far in the future', { auth_time: NOW + 3600 }],
  ])('RFC 9470 §4: an auth_time %s is refused', (_label, extra) => {
    expect(
      refusal(() => checkAuthContext(claims(extra), { maxAgeSec: 300 }, undefined, NOW)),
    ).toBeInstanceOf(InsufficientUserAuthenticationError);
  });

  it('a non-string acr never matches', () => {
    expect(
      refusal(() => checkAuthContext(claims({ acr: ['mfa'] }), { acr: ['mfa'] }, undefined, NOW)),
    ).toBeInstanceOf(InsufficientUserAuthenticationError);
  });
});

describe('normalizeAuthContextRequirement', () => {
  it.each([
    [{}, 'r'],
    [{ acr: [] }, 'r.acr'],
    [{ acr: ['a b'] }, 'r.acr'],
    [{ acr: 'mfa' }, 'r.acr'],
    [{ maxAgeSec: -1 }, 'r.maxAgeSec'],
    [{ maxAgeSec: 1.5 }, 'r.maxAgeSec'],
    [{ acrs: ['mfa'] }, 'r.acrs'],
    ['mfa', 'r'],
  ])('%j is refused naming %s', (value, option) => {
    const error = refusal(() =>
      normalizeAuthContextRequirement(value, 'r'),
    ) as TokenGuardConfigError;
    expect(error).toBeInstanceOf(TokenGuardConfigError);
    expect(error.option).toBe(option);
  });

  it('a good requirement is frozen', () => {
    const required = normalizeAuthContextRequirement({ acr: ['mfa'], maxAgeSec: 0 }, 'r');
    expect(required).toEqual({ acr: ['mfa'], maxAgeSec: 0 });
    expect(Object.isFrozen(required)).toBe(true);
  });
});
