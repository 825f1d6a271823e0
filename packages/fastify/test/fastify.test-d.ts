import fastify, { type FastifyRequest, type preHandlerAsyncHookHandler } from 'fastify';
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
  type TokenGuardRouteConfig,
  tokenGuard,
} from '../src/index.js';

const options = { introspection: { endpoint: 'https://idp.example/introspect' } } as const;

describe('@tokenguard/fastify types', () => {
  it('module augmentation: request.auth is AuthContext | undefined', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthContext | undefined>();
    fastify().get('/', async (request) => {
      expectTypeOf(request.auth).toEqualTypeOf<AuthContext | undefined>();
      expectTypeOf(request.auth?.claims).toEqualTypeOf<TokenClaims | undefined>();
      return null;
    });
  });

  it('the instance exposes its guard', () => {
    expectTypeOf(fastify().tokenGuard).toEqualTypeOf<TokenGuard>();
  });

  it('register takes guard options, or a prebuilt guard, plus adapter options', () => {
    const app = fastify();
    app.register(tokenGuard, { ...options, passErrors: true, realm: 'api' });
    app.register(tokenGuard, { guard: createGuard(options), hook: 'preValidation' });
  });

  it('operations: a route opts out of the guard; the Shared Signals receiver is a plugin', () => {
    const app = fastify();
    app.get('/ready', { config: { tokenguard: false } }, async () => app.tokenGuard.health());
    app.register(sharedSignalsReceiver, {
      path: '/ssf',
      guard: app.tokenGuard,
      issuer: 'https://idp.example',
      jwksUri: 'https://idp.example/jwks',
      audience: 'https://api.example/ssf',
    });
    // @ts-expect-error the receiver needs the guard whose cache it evicts
    app.register(sharedSignalsReceiver, { path: '/ssf', issuer: 'i', jwksUri: 'j', audience: 'a' });
  });

  it('per-route requirements are typed route config', () => {
    expectTypeOf<TokenGuardRouteConfig['scopes']>().toEqualTypeOf<readonly string[] | undefined>();
    expectTypeOf<TokenGuardRouteConfig['optional']>().toEqualTypeOf<boolean | undefined>();
    fastify().get(
      '/',
      { config: { tokenguard: { scopes: ['a'], brand: (r) => r.headers.host, optional: true } } },
      async (request) => request.auth?.scopes,
    );
  });

  it('route helpers are preHandlers taking scopes, a brand requirement or a predicate', () => {
    // Scopes as separate arguments, or as one list (the peers' style).
    expectTypeOf(requireScopes).toBeCallableWith('a', 'b');
    expectTypeOf(requireScopes).toBeCallableWith(['a', 'b']);
    expectTypeOf(requireAnyScope).toBeCallableWith('a', 'b');
    expectTypeOf(requireAnyScope).toBeCallableWith(['a', 'b']);
    expectTypeOf(requireBrand).parameter(0).toEqualTypeOf<BrandRequirement>();
    expectTypeOf(requireClaims).parameter(0).toEqualTypeOf<ClaimsPredicate>();
    expectTypeOf(requireScopes('a')).toEqualTypeOf<preHandlerAsyncHookHandler>();
    fastify().get('/', { preHandler: [requireScopes('a'), requireBrand('x')] }, async () => null);
  });

  it('bad option types do not compile', () => {
    const app = fastify();
    // @ts-expect-error realm is a string
    app.register(tokenGuard, { ...options, realm: 1 });
    // @ts-expect-error passErrors is a boolean
    app.register(tokenGuard, { ...options, passErrors: 'yes' });
    // @ts-expect-error hook is onRequest or preValidation
    app.register(tokenGuard, { ...options, hook: 'preHandler' });
    // @ts-expect-error a prebuilt guard excludes guard options
    app.register(tokenGuard, { guard: createGuard(options), realm: 'x' });
    // @ts-expect-error route scopes are a list
    app.get('/', { config: { tokenguard: { scopes: 'a' } } }, async () => null);
    // @ts-expect-error optional is a boolean
    app.get('/', { config: { tokenguard: { optional: 'yes' } } }, async () => null);
  });

  it('requestProperty names a declared property only; onError returns { contentType, body }', () => {
    // @ts-expect-error not declared in TokenGuardRequestProperties
    fastify().register(tokenGuard, { ...options, requestProperty: 'user' });
    // @ts-expect-error a formatter returns { contentType, body }
    fastify().register(tokenGuard, { ...options, onError: () => 'text' });
  });
});
