import Router from '@koa/router';
import Koa from 'koa';
import { describe, expectTypeOf, it } from 'vitest';
import {
  type AuthContext,
  type BrandRequirement,
  type ClaimsPredicate,
  createGuard,
  requireAnyScope,
  requireBrand,
  requireClaims,
  requireScopes,
  sharedSignalsReceiver,
  type TokenClaims,
  type TokenGuard,
  tokenGuard,
} from '../src/index.js';

const options = { introspection: { endpoint: 'https://idp.example/introspect' } } as const;

describe('@tokenguard/koa types', () => {
  it('declaration merging: ctx.state.auth is AuthContext | undefined', () => {
    expectTypeOf<Koa.DefaultState['auth']>().toEqualTypeOf<AuthContext | undefined>();
    new Koa().use((ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthContext | undefined>();
      expectTypeOf(ctx.state.auth?.claims).toEqualTypeOf<TokenClaims | undefined>();
    });
    new Router().get('/', (ctx) => {
      expectTypeOf(ctx.state.auth).toEqualTypeOf<AuthContext | undefined>();
    });
  });

  it('tokenGuard returns Koa middleware exposing its guard', () => {
    const middleware = tokenGuard({ ...options, passErrors: true });
    expectTypeOf(middleware).toExtend<Koa.Middleware>();
    expectTypeOf(middleware.guard).toEqualTypeOf<TokenGuard>();
    expectTypeOf(tokenGuard(createGuard(options)).guard).toEqualTypeOf<TokenGuard>();
    new Koa().use(middleware);
  });

  it('route helpers take scopes, a brand requirement or a claims predicate', () => {
    // Scopes as separate arguments, or as one list (the peers' style).
    expectTypeOf(requireScopes).toBeCallableWith('a', 'b');
    expectTypeOf(requireScopes).toBeCallableWith(['a', 'b']);
    expectTypeOf(requireAnyScope).toBeCallableWith('a', 'b');
    expectTypeOf(requireAnyScope).toBeCallableWith(['a', 'b']);
    expectTypeOf(requireBrand).parameter(0).toEqualTypeOf<BrandRequirement>();
    expectTypeOf(requireClaims).parameter(0).toEqualTypeOf<ClaimsPredicate>();
    expectTypeOf(requireScopes('a')).toEqualTypeOf<Koa.Middleware>();
    new Router().get('/', requireScopes('a'), requireBrand(['x', 'y']), (ctx) => {
      ctx.body = ctx.state.auth?.claims;
    });
  });

  it('bad option types do not compile', () => {
    // @ts-expect-error realm is a string
    tokenGuard({ ...options, realm: 1 });
    // @ts-expect-error passErrors is a boolean
    tokenGuard({ ...options, passErrors: 'yes' });
    // @ts-expect-error unknown option
    tokenGuard({ ...options, realmm: 'typo' });
    // @ts-expect-error scopes are strings
    requireAnyScope([1]);
    // @ts-expect-error a brand is a string, a list or a function of the request
    requireBrand({ brand: 'x' });
  });

  it('requestProperty names a declared property only; onError returns { contentType, body }', () => {
    // @ts-expect-error not declared in TokenGuardStateProperties
    tokenGuard({ ...options, requestProperty: 'user' });
    // @ts-expect-error a formatter returns { contentType, body }
    tokenGuard({ ...options, onError: () => 'text' });
  });
});

describe('@tokenguard/koa Shared Signals receiver', () => {
  it('takes the guard (or the middleware) and the transmitter, returns middleware', () => {
    const auth = tokenGuard({ introspection: { endpoint: 'https://idp.example/introspect' } });
    const ssf = {
      issuer: 'https://idp.example',
      jwksUri: 'https://idp.example/jwks',
      audience: 'a',
    };
    expectTypeOf(sharedSignalsReceiver({ guard: auth, ...ssf })).toEqualTypeOf<Koa.Middleware>();
    expectTypeOf(
      sharedSignalsReceiver({ guard: auth.guard, ...ssf }),
    ).toEqualTypeOf<Koa.Middleware>();
    // @ts-expect-error the guard whose cache the events evict is required
    sharedSignalsReceiver(ssf);
  });
});
