import type { AuthContext, TokenClaims } from '@tokenguard/core';
import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuthContextRequirement,
  createGuard,
  type GuardHealth,
  InsufficientUserAuthenticationError,
  type IssuerMetrics,
  type IssuerOptions,
  requireAuthContext,
  requireBrand,
  requireClaims,
  requireScopes,
  type TokenGuard,
  type TokenGuardEnv,
  tokenGuard,
} from '../src/index.js';

const options = { introspection: { endpoint: 'https://idp.example/introspect' } } as const;

describe('@tokenguard/hono types', () => {
  it('augmentation: c.get("auth") and c.var.auth are AuthContext | undefined in any app', () => {
    new Hono().get('/', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext | undefined>();
      expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext | undefined>();
      expectTypeOf(c.get('auth')?.claims).toEqualTypeOf<TokenClaims | undefined>();
      return c.body(null);
    });
  });

  it('TokenGuardEnv types an app explicitly', () => {
    new Hono<TokenGuardEnv>().get('/', (c) => {
      expectTypeOf(c.var.auth).toEqualTypeOf<AuthContext | undefined>();
      return c.body(null);
    });
  });

  it('tokenGuard returns Hono middleware with its guard, an optional variant, ready and close', () => {
    const middleware = tokenGuard({ ...options, passErrors: true });
    expectTypeOf(middleware).toExtend<MiddlewareHandler>();
    expectTypeOf(middleware.optional).toEqualTypeOf<MiddlewareHandler>();
    expectTypeOf(middleware.guard).toEqualTypeOf<TokenGuard>();
    expectTypeOf(middleware.ready).returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(tokenGuard(createGuard(options)).guard).toEqualTypeOf<TokenGuard>();
    new Hono()
      .use(middleware)
      .get('/', requireScopes('a'), requireBrand(['x', 'y']), (c) => c.body(null));
  });

  it('several issuers, resource metadata, token locations and step-up are typed here too', () => {
    const entry: IssuerOptions = { issuer: 'https://a.example', jwt: { audience: 'api' } };
    const middleware = tokenGuard({
      issuers: [entry],
      selectIssuer: (request) =>
        request.headers.host === 'b.example' ? 'https://b.example' : undefined,
      resourceMetadata: { resource: 'https://api.example/mcp', scopesSupported: ['mcp:tools'] },
      token: {
        cookie: 'access_token',
        getToken: (request) => request.headers['x-api-token'] as string | undefined,
      },
    });
    expectTypeOf(requireAuthContext).parameter(0).toEqualTypeOf<AuthContextRequirement>();
    new Hono()
      .use(middleware)
      .get('/pay', requireAuthContext({ acr: ['urn:mfa'], maxAgeSec: 300 }), (c) => {
        expectTypeOf(c.get('auth')?.issuer).toEqualTypeOf<string | undefined>();
        return c.body(null);
      });
    expectTypeOf(middleware.guard.metrics().issuers).toEqualTypeOf<
      Readonly<Record<string, IssuerMetrics>> | undefined
    >();
    expectTypeOf<GuardHealth['issuers']>().toEqualTypeOf<
      Readonly<Record<string, GuardHealth>> | undefined
    >();
    expectTypeOf(InsufficientUserAuthenticationError).toBeConstructibleWith({ acr: ['urn:mfa'] });
    // @ts-expect-error acr is a list
    requireAuthContext({ acr: 'urn:mfa' });
  });

  it('bad options do not compile', () => {
    // @ts-expect-error passErrors is a boolean
    tokenGuard({ ...options, passErrors: 'yes' });
    // @ts-expect-error requestProperty names a declared variable only
    tokenGuard({ ...options, requestProperty: 'user' });
    // @ts-expect-error onError returns { contentType, body }
    tokenGuard({ ...options, onError: () => 'text' });
    // @ts-expect-error scopes are strings
    requireScopes(42);
    // @ts-expect-error a predicate returns a boolean
    requireClaims((auth) => auth.claims.sub);
  });
});
