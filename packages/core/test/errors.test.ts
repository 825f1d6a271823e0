import { describe, expect, it } from 'vitest';
import {
  InsufficientScopeError,
  InvalidBrandError,
  InvalidRequestError,
  InvalidTokenError,
  MissingTokenError,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
  UpstreamUnavailableError,
} from '../src/errors.js';

describe('the error table (README, RFC 6750 §3)', () => {
  it('RFC 6750 §3.1: no token → 401 with a bare challenge', () => {
    const error = new MissingTokenError();
    error.realm = 'shop';
    expect(error.status).toBe(401);
    expect(error.headers).toEqual({
      'cache-control': 'no-store',
      'www-authenticate': 'Bearer realm="shop"',
    });
    expect(error.body.error).toBe('missing_token');
  });

  it.each([
    [new InvalidRequestError('bad'), 400, 'invalid_request'],
    [new InvalidTokenError(), 401, 'invalid_token'],
    [new InvalidBrandError(), 403, 'invalid_brand'],
  ])('%s carries its status and its code in the challenge', (error, status, code) => {
    expect(error.status).toBe(status);
    expect(error.code).toBe(code);
    expect(error.headers['www-authenticate']).toBe(`Bearer realm="api", error="${code}"`);
    expect(error.body).toEqual({ error: code, error_description: error.description });
  });

  it('RFC 6750 §3.1: insufficient_scope advertises the scope needed', () => {
    const error = new InsufficientScopeError(['orders:read', 'orders:write']);
    expect(error.status).toBe(403);
    expect(error.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", scope="orders:read orders:write"',
    );
  });

  it('outages are 503 with Retry-After and no challenge; details stay off the body', () => {
    const error = new UpstreamUnavailableError({ message: 'introspection endpoint timed out' });
    expect(error.status).toBe(503);
    expect(error.headers).toEqual({ 'cache-control': 'no-store', 'retry-after': '5' });
    expect(JSON.stringify(error.body)).not.toContain('timed out');
  });

  it('our own credentials refused → 500 server_error with no challenge and no detail', () => {
    const error = new ServerError({
      message: 'introspection endpoint refused our credentials (HTTP 401)',
    });
    expect(error.status).toBe(500);
    expect(error.headers['www-authenticate']).toBeUndefined();
    expect(error.body).toEqual({ error: 'server_error', error_description: error.description });
  });

  it('instanceof works across copies through the Symbol.for brand', () => {
    const foreign = Object.create({ [Symbol.for('tokenguard.error')]: true });
    expect(foreign instanceof TokenGuardError).toBe(true);
    expect(new Error('x') instanceof TokenGuardError).toBe(false);
    expect(new InvalidTokenError() instanceof TokenGuardError).toBe(true);
    expect(new InvalidTokenError() instanceof InvalidRequestError).toBe(false);
  });

  it('a config error is a TypeError that names the option', () => {
    const error = new TokenGuardConfigError('introspection.timeoutMs', 'must be an integer');
    expect(error).toBeInstanceOf(TypeError);
    expect(error.option).toBe('introspection.timeoutMs');
    expect(error.message).toContain('introspection.timeoutMs');
  });
});

describe('expose (http-errors, Koa, Fastify): a client error’s message only', () => {
  it.each([
    [new InvalidRequestError('bad'), true],
    [new InvalidTokenError(), true],
    [new InvalidBrandError(), true],
    [
      new ServerError({ message: 'introspection endpoint refused our credentials (HTTP 401)' }),
      false,
    ],
    [
      new UpstreamUnavailableError({ message: 'introspection endpoint 10.0.0.7:8443 timed out' }),
      false,
    ],
  ])('%s → expose %s', (error, expose) => {
    expect(error.expose).toBe(expose);
    expect(error.statusCode).toBe(error.status);
  });
});
