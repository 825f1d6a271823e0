// @ts-check
/**
 * NestJS scenario server, on Express or on Fastify (BENCH_CONFIG.platform). BENCH_CONFIG.auth
 * chooses what guards `GET /`: `none` (baseline), `tokenguard` (@tokenguard/nestjs's global
 * guard, `TokenGuardModule.forRoot(options)`) or `passport-jwt` (@nestjs/passport's
 * `AuthGuard('jwt')` as the global guard and a passport-jwt strategy whose key comes from
 * jwks-rsa's `passportJwtSecret`, as Nest's authentication recipe and jwks-rsa's README show).
 * Plain JavaScript: the decorators are applied as functions (`Reflect.decorate`), which is
 * what TypeScript's `experimentalDecorators` output does.
 */
import 'reflect-metadata';
import { Controller, Get, Injectable, Module, Req } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { announce, listenPort, readConfig } from '../lib/child.js';

const config = readConfig();

/** @type {(request: any) => unknown} */
let subOf = () => 'anonymous';
/** @type {any[]} */
const imports = [];
/** @type {any[]} */
const providers = [];

switch (config.auth) {
  case 'none':
    break;
  case 'tokenguard': {
    const { TokenGuardModule } = await import('@tokenguard/nestjs');
    imports.push(TokenGuardModule.forRoot(config.options));
    subOf = (request) => request.auth.claims.sub;
    break;
  }
  case 'passport-jwt': {
    const { AuthGuard, PassportModule, PassportStrategy } = await import('@nestjs/passport');
    const { ExtractJwt, Strategy } = await import('passport-jwt');
    const { passportJwtSecret } = await import('jwks-rsa');
    class JwtStrategy extends PassportStrategy(Strategy) {
      constructor() {
        super({
          jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
          secretOrKeyProvider: passportJwtSecret({
            jwksUri: config.jwksUri,
            cache: true,
            rateLimit: true,
            jwksRequestsPerMinute: 5,
          }),
          issuer: config.issuer,
          audience: 'api',
          algorithms: ['RS256'],
        });
      }

      /** @param {Record<string, unknown>} payload */
      validate(payload) {
        return payload;
      }
    }
    Reflect.decorate([Injectable()], JwtStrategy);
    imports.push(PassportModule);
    providers.push(JwtStrategy, { provide: APP_GUARD, useClass: AuthGuard('jwt') });
    subOf = (request) => request.user.sub;
    break;
  }
  default:
    throw new Error(`unknown auth ${config.auth}`);
}

class Hello {
  /** @param {unknown} request */
  hello(request) {
    return { hello: 'world', sub: subOf(request) };
  }
}
Reflect.decorate(
  [Get(), (target, key) => Req()(target, /** @type {string} */ (key), 0)],
  Hello.prototype,
  'hello',
  Object.getOwnPropertyDescriptor(Hello.prototype, 'hello'),
);
Reflect.decorate([Controller()], Hello);

class App {}
Reflect.decorate([Module({ imports, providers, controllers: [Hello] })], App);

/** @type {import('@nestjs/common').INestApplication} */
let app;
if (config.platform === 'fastify') {
  const { FastifyAdapter } = await import('@nestjs/platform-fastify');
  app = await NestFactory.create(App, new FastifyAdapter(), { logger: false });
} else {
  const { ExpressAdapter } = await import('@nestjs/platform-express');
  app = await NestFactory.create(App, new ExpressAdapter(), { logger: false });
}
await app.listen(listenPort(), '127.0.0.1');
const address = /** @type {import('node:net').AddressInfo} */ (app.getHttpServer().address());
announce(address.port, () => app.close());
