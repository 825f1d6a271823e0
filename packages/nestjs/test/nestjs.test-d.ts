import type { DynamicModule } from '@nestjs/common';
import type { Request } from 'express';
import type { FastifyRequest } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import {
  Auth,
  type AuthContext,
  createGuard,
  InjectTokenGuard,
  OptionalAuth,
  Public,
  RequireAnyScope,
  RequireAuthContext,
  RequireBrand,
  RequireClaims,
  RequireDpop,
  RequireScopes,
  type RouteDecorator,
  TOKEN_GUARD,
  type TokenClaims,
  type TokenGuardHttpException,
  TokenGuardModule,
} from '../src/index.js';

declare module '@tokenguard/core' {
  interface TokenClaims {
    // A custom claim of the identity service (the Express type test documents the same one).
    readonly tenant_id?: string;
  }
}

const options = { introspection: { endpoint: 'https://idp.example/introspect' } } as const;

describe('@tokenguard/nestjs types', () => {
  it('the module: forRoot and forRootAsync return a DynamicModule', () => {
    expectTypeOf(TokenGuardModule.forRoot(options)).toEqualTypeOf<DynamicModule>();
    expectTypeOf(
      TokenGuardModule.forRootAsync({
        inject: ['CONFIG'],
        useFactory: (config: { endpoint: string }) => ({ introspection: config }),
      }),
    ).toEqualTypeOf<DynamicModule>();
    TokenGuardModule.forRoot({ ...options, passErrors: true, requestProperty: 'auth' });
    TokenGuardModule.forRoot({ guard: createGuard(options), passErrors: true });
    // @ts-expect-error a prebuilt guard is not combined with guard options
    TokenGuardModule.forRoot({ guard: createGuard(options), realm: 'api' });
    // @ts-expect-error only declared request properties
    TokenGuardModule.forRoot({ ...options, requestProperty: 'user' });
  });

  it('decorators: requirements on controllers and handlers, checked arguments', () => {
    expectTypeOf(RequireScopes('a', 'b')).toEqualTypeOf<RouteDecorator>();
    expectTypeOf(RequireScopes('a')).toMatchTypeOf<ClassDecorator>();
    expectTypeOf(RequireScopes('a')).toMatchTypeOf<MethodDecorator>();
    RequireAnyScope('a', 'b');
    RequireBrand(['acme', 'globex']);
    RequireBrand((request) => request.headers.host?.toString());
    RequireAuthContext({ acr: ['urn:example:mfa'], maxAgeSec: 300 });
    RequireDpop('disabled');
    expectTypeOf(Public()).toEqualTypeOf<RouteDecorator>();
    expectTypeOf(OptionalAuth()).toEqualTypeOf<RouteDecorator>();
    // @ts-expect-error scopes are strings
    RequireScopes(1);
    // @ts-expect-error a DPoP mode
    RequireDpop('sometimes');
  });

  it('custom claims reach @RequireClaims and the auth context', () => {
    RequireClaims((auth) => {
      expectTypeOf(auth.claims.tenant_id).toEqualTypeOf<string | undefined>();
      return auth.claims.tenant_id === 'acme';
    });
    expectTypeOf<AuthContext['claims']>().toEqualTypeOf<TokenClaims>();
    expectTypeOf<TokenClaims['not_declared']>().toEqualTypeOf<unknown>();
  });

  it('@Auth() is a parameter decorator; on Express, req.auth is the same auth context', () => {
    expectTypeOf(Auth()).toEqualTypeOf<ParameterDecorator>();
    expectTypeOf<Request['auth']>().toEqualTypeOf<AuthContext | undefined>();
  });

  it('on Fastify, request.auth (FastifyRequest) is the same auth context', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<AuthContext | undefined>();
    expectTypeOf<NonNullable<FastifyRequest['auth']>['claims']['tenant_id']>().toEqualTypeOf<
      string | undefined
    >();
  });

  it('the guard: an injection token and a parameter decorator', () => {
    expectTypeOf(TOKEN_GUARD).toBeSymbol();
    expectTypeOf(InjectTokenGuard()).toMatchTypeOf<ParameterDecorator>();
  });

  it('passErrors: the exception carries the guard’s headers', () => {
    expectTypeOf<TokenGuardHttpException['headers']>().toEqualTypeOf<
      Readonly<Record<string, string>>
    >();
  });
});
