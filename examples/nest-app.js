// A NestJS API protected by tokenguard, on Nest's Express platform. Run: node examples/nest-app.js
// (see README). Plain JavaScript, so the decorators are applied as functions; in TypeScript
// they are written `@Controller()`, `@Get()`, `@RequireScopes('orders:read')`, `@Auth()`.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  Auth,
  RequireBrand,
  RequireScopes,
  TOKEN_GUARD,
  TokenGuardModule,
} from '@tokenguard/nestjs';

class ApiController {
  profile(auth) {
    return { sub: auth?.claims.sub, scopes: auth?.scopes, brand: auth?.claims.brand };
  }

  orders(auth) {
    return { orders: [], for: auth?.claims.sub };
  }
}
const route = (name, decorators) => {
  const descriptor = Object.getOwnPropertyDescriptor(ApiController.prototype, name);
  Reflect.decorate(decorators, ApiController.prototype, name, descriptor);
  Auth()(ApiController.prototype, name, 0);
};
route('profile', [Get('profile')]);
route('orders', [Get('orders'), RequireScopes('orders:read'), RequireBrand('acme')]);
Reflect.decorate([Controller()], ApiController);

/** @param {import('@tokenguard/nestjs').GuardOptions} guardOptions */
export async function createNestApp(guardOptions) {
  class AppModule {}
  Reflect.decorate(
    [Module({ imports: [TokenGuardModule.forRoot(guardOptions)], controllers: [ApiController] })],
    AppModule,
  );
  const nest = await NestFactory.create(AppModule, { logger: false });
  await nest.init();
  // `listen` like the other examples: Nest's Node server, routes mounted by init().
  return { app: nest.getHttpServer(), guard: nest.get(TOKEN_GUARD), nest };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { nest } = await createNestApp({
    issuer: process.env.ISSUER ?? 'http://127.0.0.1:4000',
    introspection: {
      clientAuth: {
        method: 'client_credentials',
        clientId: process.env.CLIENT_ID ?? 'resource-server',
        clientSecret: process.env.CLIENT_SECRET ?? '',
      },
    },
    allowInsecureHttp: true,
  });
  nest.enableShutdownHooks(); // Ctrl+C closes the app, then the guard
  const port = Number(process.env.PORT ?? 3005);
  await nest.listen(port);
  console.log(`nest example on http://127.0.0.1:${port}`);
}
