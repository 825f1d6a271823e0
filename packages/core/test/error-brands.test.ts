import { describe, expect, it, vi } from 'vitest';
import * as errors from '../src/errors.js';

/** A second, independent copy of the errors module (as when an app and a library each bundle one). */
async function anotherCopy(): Promise<typeof errors> {
  vi.resetModules();
  return import('../src/errors.js');
}

describe('error brands (Symbol.for) across two copies of the package', () => {
  it('the second copy is a different module with different classes', async () => {
    const other = await anotherCopy();
    expect(other.InvalidTokenError).not.toBe(errors.InvalidTokenError);
  });

  it('instanceof and isTokenGuardError recognise every class of the other copy', async () => {
    const other = await anotherCopy();
    const made: Array<[errors.TokenGuardError, new (...args: never[]) => unknown]> = [
      [new other.MissingTokenError(), errors.MissingTokenError],
      [new other.InvalidRequestError('bad'), errors.InvalidRequestError],
      [new other.InvalidTokenError(), errors.InvalidTokenError],
      [new other.InsufficientScopeError(['a']), errors.InsufficientScopeError],
      [new other.InvalidBrandError(), errors.InvalidBrandError],
      [new other.AccessDeniedError(), errors.AccessDeniedError],
      [new other.UpstreamUnavailableError(), errors.UpstreamUnavailableError],
      [new other.ServerError(), errors.ServerError],
    ];
    for (const [error, ownClass] of made) {
      expect(error).toBeInstanceOf(ownClass);
      expect(error).toBeInstanceOf(errors.TokenGuardError);
      expect(errors.isTokenGuardError(error)).toBe(true);
      // A brand is per class: an error of one class is not an instance of another.
      for (const [, otherClass] of made) {
        if (otherClass !== ownClass) expect(error).not.toBeInstanceOf(otherClass);
      }
    }
  });

  it('a configuration error of the other copy is recognised, and is not a request-path error', async () => {
    const other = await anotherCopy();
    const error = new other.TokenGuardConfigError('realm', 'must be a non-empty string');
    expect(error).toBeInstanceOf(errors.TokenGuardConfigError);
    expect(errors.isTokenGuardConfigError(error)).toBe(true);
    expect(errors.isTokenGuardError(error)).toBe(false);
    expect(error.code).toBe('invalid_option');
  });

  it('every class has a stable code', () => {
    expect(new errors.MissingTokenError().code).toBe('missing_token');
    expect(new errors.InvalidRequestError('x').code).toBe('invalid_request');
    expect(new errors.InvalidTokenError().code).toBe('invalid_token');
    expect(new errors.InsufficientScopeError(['a']).code).toBe('insufficient_scope');
    expect(new errors.InvalidBrandError().code).toBe('invalid_brand');
    expect(new errors.AccessDeniedError().code).toBe('access_denied');
    expect(new errors.UpstreamUnavailableError().code).toBe('temporarily_unavailable');
    expect(new errors.ServerError().code).toBe('server_error');
  });

  it('plain look-alikes and other errors are not tokenguard errors', () => {
    const lookalike = { code: 'invalid_token', status: 401 };
    expect(errors.isTokenGuardError(lookalike)).toBe(false);
    expect(lookalike).not.toBeInstanceOf(errors.InvalidTokenError);
    expect(new TypeError('x')).not.toBeInstanceOf(errors.TokenGuardConfigError);
    expect(errors.isTokenGuardError(null)).toBe(false);
  });

  it('a user subclass is checked by its prototype chain and is still a TokenGuardError', () => {
    class TeapotError extends errors.InvalidTokenError {}
    const error = new TeapotError();
    expect(error).toBeInstanceOf(TeapotError);
    expect(error).toBeInstanceOf(errors.InvalidTokenError);
    expect(new errors.InvalidTokenError()).not.toBeInstanceOf(TeapotError);
  });

  it('the realm is given where the error is created', () => {
    const error = new errors.InvalidTokenError({ realm: 'shop' });
    expect(error.headers['www-authenticate']).toBe('Bearer realm="shop", error="invalid_token"');
    expect(new errors.MissingTokenError().headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('a Shared Signals refusal of the other copy is recognised', async () => {
    const { SecurityEventError } = await import('../src/shared-signals/security-event-error.js');
    vi.resetModules();
    const other = await import('../src/shared-signals/security-event-error.js');
    expect(other.SecurityEventError).not.toBe(SecurityEventError);
    const error = new other.SecurityEventError('invalid_issuer', 'wrong issuer');
    expect(error).toBeInstanceOf(SecurityEventError);
    expect(error.code).toBe('invalid_issuer');
    expect(new Error('x')).not.toBeInstanceOf(SecurityEventError);
  });
});
