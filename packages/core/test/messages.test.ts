// The words a user reads when something is wrong: each configuration error names the path
// the user wrote and says what to write instead; each refusal reason says why. Exact texts.
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequirementHelpers } from '../src/adapter-kit/create-requirement-helpers.js';
import { createGuard } from '../src/create-guard.js';
import type { TokenGuard } from '../src/guard-types.js';
import type { GuardOptions } from '../src/options/types.js';
import type { TokenGuardLogger } from '../src/types.js';

const base = { issuer: 'https://id.example', jwt: { audience: 'api' } } as const;

/** The message `build()` throws. */
function messageOf(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected a configuration error');
}

const helpers = createRequirementHelpers((route) => route);

describe('route helpers take scopes as arguments or as one list', () => {
  it("requireScopes(['a', 'b']) is requireScopes('a', 'b')", () => {
    expect(helpers.requireScopes(['a', 'b']).requirements.scopes).toEqual(['a', 'b']);
    expect(helpers.requireScopes('a', 'b').requirements.scopes).toEqual(['a', 'b']);
    expect(helpers.requireAnyScope(['a', 'b']).requirements.anyScope).toEqual(['a', 'b']);
  });

  it("requireScopes('a b') says to pass scopes as separate arguments", () => {
    expect(messageOf(() => helpers.requireScopes('a b'))).toBe(
      "tokenguard: option `requireScopes(…)` got 'a b': pass scopes as separate arguments, requireScopes('a', 'b')",
    );
    expect(messageOf(() => helpers.requireAnyScope(['read write']))).toBe(
      "tokenguard: option `requireAnyScope(…)` got 'read write': pass scopes as separate arguments, requireAnyScope('read', 'write')",
    );
  });

  it('RFC 6749 §3.3: a scope with a quote is refused, naming its position', () => {
    expect(messageOf(() => helpers.requireScopes('ok', 'a"'))).toBe(
      'tokenguard: option `requireScopes(…)` has an invalid scope at [1]: RFC 6749 §3.3 scope tokens are non-empty printable ASCII without spaces, quotes or backslashes',
    );
  });

  it('an empty list is refused, never "no requirement"', () => {
    expect(messageOf(() => helpers.requireScopes())).toBe(
      'tokenguard: option `requireScopes(…)` must name at least one scope (an empty list would accept every token)',
    );
  });
});

describe('configuration errors name the option as written', () => {
  it('guard-wide scopes are `scopes`, not `options.scopes`', () => {
    expect(messageOf(() => createGuard({ ...base, scopes: 'a b' } as never))).toBe(
      "tokenguard: option `scopes` must be a list of scopes, e.g. ['a', 'b']",
    );
    expect(messageOf(() => createGuard({ ...base, scopes: ['a b'] }))).toBe(
      "tokenguard: option `scopes` has 'a b' as one scope: list each scope on its own, ['a', 'b']",
    );
  });

  it('a typo suggests the option it was probably meant to be', () => {
    expect(messageOf(() => createGuard({ ...base, allowInsecureHTTP: true } as never))).toBe(
      'tokenguard: option `allowInsecureHTTP` is not a known option; did you mean `allowInsecureHttp`?',
    );
    expect(messageOf(() => createGuard({ ...base, jwt: { audiance: 'api' } } as never))).toBe(
      'tokenguard: option `jwt.audiance` is not a known option; did you mean `audience`?',
    );
    expect(messageOf(() => createGuard({ ...base, frobnicate: 1 } as never))).toBe(
      'tokenguard: option `frobnicate` is not a known option',
    );
  });

  it('RFC 8414 §2: an issuers entry with a query names that entry', () => {
    const issuers = [{ issuer: 'https://id.example/?tenant=1', jwt: { audience: 'api' } }];
    expect(messageOf(() => createGuard({ issuers }))).toBe(
      'tokenguard: option `issuers[0].issuer` must not have a query or fragment (RFC 8414 §2)',
    );
    expect(messageOf(() => createGuard({ ...base, issuer: 'https://id.example#x' }))).toBe(
      'tokenguard: option `issuer` must not have a query or fragment (RFC 8414 §2)',
    );
  });

  it('an audience of the wrong type is not "required"', () => {
    expect(messageOf(() => createGuard({ ...base, jwt: { audience: 123 } } as never))).toBe(
      'tokenguard: option `jwt.audience` must be a non-empty string or a list of non-empty strings',
    );
    expect(messageOf(() => createGuard({ ...base, jwt: {} }))).toBe(
      'tokenguard: option `jwt.audience` is required: a non-empty string or list of strings (or set `checkAudience: false`)',
    );
  });

  it('dpop: true names the modes and the object form', () => {
    expect(messageOf(() => createGuard({ ...base, dpop: true } as never))).toBe(
      "tokenguard: option `dpop` must be 'disabled', 'allowed', 'required', or an object such as { mode: 'allowed', origins: [...] }",
    );
  });

  it('an async getToken is refused when the guard is built', () => {
    expect(
      messageOf(() => createGuard({ ...base, token: { getToken: (async () => 'x') as never } })),
    ).toBe(
      'tokenguard: option `token.getToken` must return the token synchronously (a string, or undefined for none), not a Promise: read it from the request as it is, and do any async work in a middleware before the guard',
    );
  });
});

describe('refusal reasons say why', () => {
  let idp: IdentityServer;
  const guards: TokenGuard[] = [];
  beforeAll(async () => {
    idp = await createIdentityServer();
  });
  afterAll(async () => {
    await Promise.all(guards.map((guard) => guard.close()));
    await idp.close();
  });

  function guardFor(extra: Partial<GuardOptions>, lines: string[] = []): TokenGuard {
    const logger: TokenGuardLogger = {
      warn: () => {},
      error: (message) => lines.push(`error ${message}`),
      debug: (message) => lines.push(`debug ${message}`),
    };
    const guard = createGuard({
      issuer: idp.issuer,
      jwt: { audience: 'api' },
      allowInsecureHttp: true,
      logger,
      errorDescriptions: true,
      ...extra,
    });
    guards.push(guard);
    return guard;
  }

  it('an opaque token sent to a JWT-only guard is not_a_jwt, without a call', async () => {
    const lines: string[] = [];
    const guard = guardFor({}, lines);
    const error = await guard.verify(idp.mintToken()).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'invalid_token', reason: 'not_a_jwt' });
    expect(guard.errorResponse(error).body).toEqual({
      error: 'invalid_token',
      error_description:
        'The access token is not a JWT, and this resource accepts JWT access tokens only',
    });
    expect(lines).toEqual(['debug tokenguard: refused 401 invalid_token (not_a_jwt)']);
    expect(idp.calls.introspect).toBe(0);
  });

  it('RFC 9110 §9.2.1: a cookie left unread on POST is cookie_ignored at debug level', async () => {
    const lines: string[] = [];
    const guard = guardFor({ token: { cookie: 'access_token' } }, lines);
    const token = await idp.mintJwt({ scope: 'orders:read' });
    const post = { method: 'POST', url: '/orders', headers: { cookie: `access_token=${token}` } };
    const error = await Promise.resolve()
      .then(() => guard.authenticate(post))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'missing_token', status: 401, reason: 'cookie_ignored' });
    expect(lines).toEqual(['debug tokenguard: refused 401 missing_token (cookie_ignored)']);
    // The same request without the cookie is plainly missing its token.
    const bare = await Promise.resolve()
      .then(() => guard.authenticate({ ...post, headers: {} }))
      .catch((e: unknown) => e);
    expect(bare).toMatchObject({ reason: 'token_missing' });
    // On GET the cookie is read.
    await expect(guard.authenticate({ ...post, method: 'GET' })).resolves.toMatchObject({
      scopes: ['orders:read'],
    });
  });

  it('a getToken that returns a Promise is a 500 whose log line says it must be synchronous', async () => {
    const lines: string[] = [];
    const guard = guardFor({ token: { getToken: () => Promise.resolve('x') as never } }, lines);
    const error = await Promise.resolve()
      .then(() => guard.authenticate({ method: 'GET', url: '/', headers: {} }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'server_error', status: 500 });
    expect(lines).toContain(
      'error tokenguard: option `token.getToken` returned a Promise: it must return the token synchronously (a string, or undefined for none), not a Promise: read it from the request as it is, and do any async work in a middleware before the guard',
    );
  });
});
