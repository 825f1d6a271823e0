import express, { type Request, type RequestHandler } from 'express';
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

// A migration from a library that also sets `req.auth`: another property, declared twice.
declare module '../src/index.js' {
  interface TokenGuardRequestProperties {
    tokenguard: true;
  }
}
declare global {
  namespace Express {
    interface Request {
      tokenguard?: AuthContext;
    }
  }
}

describe('@tokenguard/express types', () => {
  it('declaration merging: req.auth is AuthContext | undefined', () => {
    expectTypeOf<Request['auth']>().toEqualTypeOf<AuthContext | undefined>();
    express().get('/', (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<AuthContext | undefined>();
      expectTypeOf(req.auth?.claims).toEqualTypeOf<TokenClaims | undefined>();
      expectTypeOf(req.auth?.scopes).toEqualTypeOf<readonly string[] | undefined>();
      res.end();
    });
  });

  it('tokenGuard returns Express middleware exposing its guard', () => {
    const middleware = tokenGuard({ ...options, passErrors: true });
    expectTypeOf(middleware).toExtend<RequestHandler>();
    expectTypeOf(middleware.guard).toEqualTypeOf<TokenGuard>();
    expectTypeOf(
      tokenGuard(createGuard(options), { passErrors: false }).guard,
    ).toEqualTypeOf<TokenGuard>();
    express().use(middleware);
  });

  it('route helpers take scopes, a brand requirement or a claims predicate', () => {
    // Scopes as separate arguments, or as one list (the peers' style).
    expectTypeOf(requireScopes).toBeCallableWith('a', 'b');
    expectTypeOf(requireScopes).toBeCallableWith(['a', 'b']);
    expectTypeOf(requireAnyScope).toBeCallableWith('a', 'b');
    expectTypeOf(requireAnyScope).toBeCallableWith(['a', 'b']);
    expectTypeOf(requireBrand).parameter(0).toEqualTypeOf<BrandRequirement>();
    expectTypeOf(requireClaims).parameter(0).toEqualTypeOf<ClaimsPredicate>();
    expectTypeOf(requireScopes('a')).toEqualTypeOf<RequestHandler>();
    express().get(
      '/',
      requireScopes('a', 'b'),
      requireBrand((r) => r.headers.host),
      (_req, res) => {
        res.end();
      },
    );
  });

  it('bad option types do not compile', () => {
    // @ts-expect-error realm is a string
    tokenGuard({ ...options, realm: 1 });
    // @ts-expect-error passErrors is a boolean
    tokenGuard({ ...options, passErrors: 'yes' });
    // @ts-expect-error unknown option
    tokenGuard({ ...options, realmm: 'typo' });
    // @ts-expect-error the adapter options of a prebuilt guard are adapter options only
    tokenGuard(createGuard(options), { realm: 'x' });
    // @ts-expect-error scopes are strings
    requireScopes(42);
    // @ts-expect-error a brand is a string, a list or a function of the request
    requireBrand(42);
    // @ts-expect-error a predicate returns a boolean
    requireClaims((auth) => auth.claims.sub);
  });

  it('requestProperty: only a declared property compiles, and the augmentation types it', () => {
    tokenGuard({ ...options, requestProperty: 'auth' });
    tokenGuard({ ...options, requestProperty: 'tokenguard' });
    // @ts-expect-error not declared in TokenGuardRequestProperties
    tokenGuard({ ...options, requestProperty: 'user' });
    express().get('/', (req, res) => {
      expectTypeOf(req.tokenguard).toEqualTypeOf<AuthContext | undefined>();
      res.end();
    });
  });

  it('onError gets the refusal and the request view, and returns a body with its media type', () => {
    tokenGuard({
      ...options,
      onError: (error, request) => {
        expectTypeOf(error.status).toEqualTypeOf<400 | 401 | 403 | 500 | 503>();
        expectTypeOf(request.url).toEqualTypeOf<string>();
        return { contentType: 'application/problem+json', body: { title: error.description } };
      },
    });
    // @ts-expect-error a formatter returns { contentType, body }
    tokenGuard({ ...options, onError: () => 'text' });
    expectTypeOf(tokenGuard(options).optional).toEqualTypeOf<RequestHandler>();
    expectTypeOf(tokenGuard(options).close).returns.toEqualTypeOf<Promise<void>>();
  });
});

describe('@tokenguard/express Shared Signals receiver', () => {
  it('takes the guard (or the middleware) and the transmitter, returns middleware', () => {
    const auth = tokenGuard({ introspection: { endpoint: 'https://idp.example/introspect' } });
    const ssf = {
      issuer: 'https://idp.example',
      jwksUri: 'https://idp.example/jwks',
      audience: 'a',
    };
    expectTypeOf(sharedSignalsReceiver({ guard: auth, ...ssf })).toEqualTypeOf<RequestHandler>();
    expectTypeOf(
      sharedSignalsReceiver({ guard: auth.guard, ...ssf }),
    ).toEqualTypeOf<RequestHandler>();
    // @ts-expect-error the guard whose cache the events evict is required
    sharedSignalsReceiver(ssf);
  });
});
