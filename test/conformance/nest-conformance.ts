/**
 * What only Nest has, on each platform and major: decorators on controllers and handlers
 * (inheritance, handler over controller, `@Public()`, `@OptionalAuth()`), guard-wide
 * requirements beside them, the guard injected into the app's own providers, `forRootAsync`,
 * refusals answered before any handler, interceptor or exception filter, `passErrors` through
 * Nest's own exception layer, and refused requests leaving nothing behind.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  type ArgumentsHost,
  type CallHandler,
  Catch,
  Controller,
  type ExceptionFilter,
  type ExecutionContext,
  Get,
  HttpException,
  type INestApplication,
  Inject,
  Injectable,
  type MiddlewareConsumer,
  Module,
  type NestInterceptor,
  type NestModule,
  Param,
  Post,
} from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR, HttpAdapterHost } from '@nestjs/core';
import type { GuardOptions, TokenGuard, TokenGuardLogger } from '@tokenguard/core';
import {
  Auth,
  type AuthContext,
  InjectTokenGuard,
  OptionalAuth,
  Public,
  RequireBrand,
  RequireScopes,
  resourceMetadataHandler,
  TOKEN_GUARD,
  TokenGuardHttpException,
  TokenGuardModule,
} from '@tokenguard/nestjs';
import type { IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type NestPlatform, nestMajor, startNest, urlOf } from './adapters/nest.js';
import { expectOk, expectRefusal, expectUnavailable, sleep } from './expect-answer.js';
import { bearer, send } from './http.js';
import { sharedIdentityServer } from './shared-identity-servers.js';

const quietLogger: TokenGuardLogger = { warn() {}, error() {} };
const BARE = 'Bearer realm="test"';
const scopeChallenge = (scope: string) =>
  `Bearer realm="test", error="insufficient_scope", scope="${scope}"`;

// The controllers under test: a base with controller-level scopes, a subclass adding a brand,
// and a public controller with one guarded handler.
@Controller('base')
@RequireScopes('orders:read')
class BaseController {
  @Get('list')
  list(@Auth() auth: AuthContext | undefined) {
    return { sub: auth?.claims.sub ?? null };
  }

  // The handler's scopes replace the controller's.
  @Get('admin')
  @RequireScopes('admin')
  admin(@Auth() auth: AuthContext | undefined) {
    return { sub: auth?.claims.sub ?? null };
  }

  @Get('open')
  @Public()
  open(@Auth() auth: AuthContext | undefined) {
    return { sub: auth?.claims.sub ?? null };
  }

  @Get('maybe')
  @OptionalAuth()
  maybe(@Auth() auth: AuthContext | undefined) {
    return { sub: auth?.claims.sub ?? null };
  }
}

@Controller('child')
@RequireBrand('acme')
class ChildController extends BaseController {}

@Controller('public')
@Public()
class PublicController {
  @Get()
  open(@Auth() auth: AuthContext | undefined) {
    return { sub: auth?.claims.sub ?? null };
  }

  // A requirement on the handler puts it back behind the guard.
  @Get('locked')
  @RequireScopes('orders:read')
  locked(@Auth() auth: AuthContext | undefined) {
    return { sub: auth?.claims.sub ?? null };
  }
}

// @OptionalAuth() with a requirement beside it, on the controller: the requirement still
// refuses a request without a token, as every route helper does.
@Controller('optional-scoped')
@OptionalAuth()
@RequireScopes('orders:read')
class OptionalScopedController {
  @Get()
  list(@Auth() auth: AuthContext | undefined) {
    return { sub: auth?.claims.sub ?? null };
  }

  // The handler's own @OptionalAuth() lifts the controller's scopes for requests without one.
  @Get('maybe')
  @OptionalAuth()
  maybe(@Auth() auth: AuthContext | undefined) {
    return { sub: auth?.claims.sub ?? null };
  }
}

/** An app service that owns eviction: the guard reaches it by injection. */
@Injectable()
class Sessions {
  constructor(@InjectTokenGuard() readonly guard: TokenGuard) {}
}

@Controller('sessions')
class SessionsController {
  constructor(@Inject(Sessions) private readonly sessions: Sessions) {}

  @Post('evict-subject/:sub')
  @RequireScopes('admin')
  async evictSubject(@Param('sub') sub: string) {
    await this.sessions.guard.evictSubject(sub);
    return { evicted: sub };
  }
}

/** One app per describe block, started before its cases and closed after them. */
function appWith(platform: NestPlatform, module: () => new () => unknown): () => INestApplication {
  let app: INestApplication | undefined;
  beforeAll(async () => {
    app = await startNest(module(), platform);
  });
  afterAll(async () => {
    await app?.close();
  });
  return () => {
    if (app === undefined) throw new Error('app not started');
    return app;
  };
}

export function runNestConformance(major: number, platform: NestPlatform): void {
  describe(`nest conformance: nest ${major} on ${platform}`, () => {
    let idp: IdentityServer;
    beforeAll(async () => {
      expect(await nestMajor()).toBe(major);
      idp = await sharedIdentityServer(0);
    });
    beforeEach(() => {
      idp.resetCalls();
    });

    function options(extra: Partial<GuardOptions> = {}): GuardOptions {
      return {
        realm: 'test',
        allowInsecureHttp: true,
        cache: false,
        logger: quietLogger,
        introspection: {
          endpoint: idp.introspectionEndpoint,
          clientAuth: { method: 'bearer', token: idp.callerToken },
        },
        ...extra,
      };
    }

    const get = (app: INestApplication, path: string, token?: string) =>
      send(urlOf(app), path, token === undefined ? {} : { headers: bearer(token) });

    describe('decorators: controller level, handler override, inheritance', () => {
      const app = appWith(platform, () => {
        @Module({
          imports: [TokenGuardModule.forRoot(options())],
          controllers: [
            BaseController,
            ChildController,
            PublicController,
            OptionalScopedController,
          ],
        })
        class App {}
        return App;
      });

      it('a controller’s @RequireScopes applies to its handlers (RFC 6750 §3.1: 403 with the scope)', async () => {
        const ok = await get(
          app(),
          '/base/list',
          idp.mintToken({ sub: 'ann', scope: 'orders:read' }),
        );
        expectOk(ok);
        expect(ok.body).toEqual({ sub: 'ann' });
        const refused = await get(app(), '/base/list', idp.mintToken({ scope: 'profile' }));
        expectRefusal(refused, 403, scopeChallenge('orders:read'), 'insufficient_scope');
      });

      it('a handler’s @RequireScopes replaces the controller’s', async () => {
        expectOk(await get(app(), '/base/admin', idp.mintToken({ scope: 'admin' })));
        const refused = await get(app(), '/base/admin', idp.mintToken({ scope: 'orders:read' }));
        expectRefusal(refused, 403, scopeChallenge('admin'), 'insufficient_scope');
      });

      it('@Public(): no token, or a bad one, reaches the handler without auth and calls nobody', async () => {
        const none = await get(app(), '/base/open');
        expectOk(none);
        expect(none.body).toEqual({ sub: null });
        const junk = await get(app(), '/base/open', 'not-a-token-the-server-knows');
        expect(junk.body).toEqual({ sub: null });
        expect(idp.calls.introspect).toBe(0);
      });

      it('@OptionalAuth(): no token passes whatever the controller requires; a token must meet it', async () => {
        const none = await get(app(), '/base/maybe');
        expectOk(none);
        expect(none.body).toEqual({ sub: null });
        const ok = await get(
          app(),
          '/base/maybe',
          idp.mintToken({ sub: 'bo', scope: 'orders:read' }),
        );
        expect(ok.body).toEqual({ sub: 'bo' });
        const unscoped = await get(app(), '/base/maybe', idp.mintToken({ scope: 'profile' }));
        expectRefusal(unscoped, 403, scopeChallenge('orders:read'), 'insufficient_scope');
        const revoked = idp.mintToken();
        idp.revoke(revoked);
        const bad = await get(app(), '/base/maybe', revoked);
        expectRefusal(bad, 401, `${BARE}, error="invalid_token"`, 'invalid_token');
      });

      it('RFC 6750 §3.1: a requirement beside @OptionalAuth() refuses a request without a token (401); one with a token must meet it', async () => {
        expectRefusal(await get(app(), '/optional-scoped'), 401, BARE, 'missing_token');
        const ok = await get(
          app(),
          '/optional-scoped',
          idp.mintToken({ sub: 'di', scope: 'orders:read' }),
        );
        expectOk(ok);
        expect(ok.body).toEqual({ sub: 'di' });
        const unscoped = await get(app(), '/optional-scoped', idp.mintToken({ scope: 'profile' }));
        expectRefusal(unscoped, 403, scopeChallenge('orders:read'), 'insufficient_scope');
        // A handler's own @OptionalAuth() below it lifts the controller's scopes again.
        const none = await get(app(), '/optional-scoped/maybe');
        expectOk(none);
        expect(none.body).toEqual({ sub: null });
      });

      it('a subclass inherits its parent’s requirements and adds its own (brand)', async () => {
        const both = idp.mintToken({ sub: 'cy', scope: 'orders:read', brand: 'acme' });
        const ok = await get(app(), '/child/list', both);
        expectOk(ok);
        expect(ok.body).toEqual({ sub: 'cy' });
        const otherBrand = await get(
          app(),
          '/child/list',
          idp.mintToken({ scope: 'orders:read', brand: 'globex' }),
        );
        expect(otherBrand.status).toBe(403);
        expect(otherBrand.body.error).toBe('invalid_brand');
        const noScope = await get(app(), '/child/list', idp.mintToken({ brand: 'acme' }));
        expectRefusal(noScope, 403, scopeChallenge('orders:read'), 'insufficient_scope');
        // The parent is unchanged by its subclass's brand.
        expectOk(
          await get(app(), '/base/list', idp.mintToken({ scope: 'orders:read', brand: 'x' })),
        );
      });

      it('inherited handler overrides keep the subclass’s own requirements', async () => {
        expectOk(
          await get(app(), '/child/admin', idp.mintToken({ scope: 'admin', brand: 'acme' })),
        );
        const otherBrand = await get(
          app(),
          '/child/admin',
          idp.mintToken({ scope: 'admin', brand: 'globex' }),
        );
        expect(otherBrand.status).toBe(403);
        expectOk(await get(app(), '/child/open'));
      });

      it('a @Public() controller’s handler with a requirement needs a token again', async () => {
        expectOk(await get(app(), '/public'));
        expectRefusal(await get(app(), '/public/locked'), 401, BARE, 'missing_token');
        expectOk(await get(app(), '/public/locked', idp.mintToken({ scope: 'orders:read' })));
      });
    });

    describe('guard-wide requirements beside the decorators', () => {
      const app = appWith(platform, () => {
        @Module({
          imports: [TokenGuardModule.forRoot(options({ scopes: ['api'] }))],
          controllers: [BaseController],
        })
        class App {}
        return App;
      });

      it('a guarded route needs the guard’s scope and the decorator’s', async () => {
        expectOk(await get(app(), '/base/list', idp.mintToken({ scope: 'api orders:read' })));
        const noApi = await get(app(), '/base/list', idp.mintToken({ scope: 'orders:read' }));
        expectRefusal(noApi, 403, scopeChallenge('api'), 'insufficient_scope');
        const noRoute = await get(app(), '/base/list', idp.mintToken({ scope: 'api' }));
        expectRefusal(noRoute, 403, scopeChallenge('orders:read'), 'insufficient_scope');
      });

      it('@Public() lifts the guard-wide requirement; @OptionalAuth() lifts it for requests without a token only', async () => {
        expectOk(await get(app(), '/base/open'));
        expectOk(await get(app(), '/base/maybe'));
        const noApi = await get(app(), '/base/maybe', idp.mintToken({ scope: 'orders:read' }));
        expectRefusal(noApi, 403, scopeChallenge('api'), 'insufficient_scope');
      });
    });

    describe('RFC 9728 §3: the document under a global prefix', () => {
      it('app.use(resourceMetadataHandler(guard)) serves it at the root, identical to the module’s own', async () => {
        @Module({
          imports: [
            TokenGuardModule.forRoot(
              options({ resourceMetadata: { resource: 'https://api.example.test/orders' } }),
            ),
          ],
          controllers: [BaseController],
        })
        class App {}
        const plain = await startNest(App, platform);
        try {
          const prefixed = await startNest(App, platform, {
            setup: (created) => {
              created.setGlobalPrefix('api');
              created.use(resourceMetadataHandler(created.get<TokenGuard>(TOKEN_GUARD)));
            },
          });
          try {
            for (const path of [
              '/.well-known/oauth-protected-resource/orders',
              '/.well-known/oauth-protected-resource',
            ]) {
              const own = await get(plain, path);
              const served = await get(prefixed, path);
              expect(own.status).toBe(200);
              expect(served.status).toBe(200);
              expect(served.text).toBe(own.text);
              expect(served.headers['cache-control']).toBe(own.headers['cache-control']);
            }
            expectRefusal(
              await get(prefixed, '/api/base/list'),
              401,
              `${BARE}, resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/orders"`,
              'missing_token',
            );
          } finally {
            await prefixed.close();
          }
        } finally {
          await plain.close();
        }
      });
    });

    describe('the guard injected: TOKEN_GUARD, @InjectTokenGuard(), forRootAsync', () => {
      const CONFIG = Symbol('config');
      const app = appWith(platform, () => {
        // Stands for ConfigModule: the options come from another module's provider.
        @Module({
          providers: [{ provide: CONFIG, useFactory: () => options({ cache: {} }) }],
          exports: [CONFIG],
        })
        class Config {}

        @Module({
          imports: [
            TokenGuardModule.forRootAsync({
              imports: [Config],
              inject: [CONFIG],
              useFactory: async (config: GuardOptions) => config,
            }),
          ],
          controllers: [SessionsController, BaseController],
          providers: [Sessions],
        })
        class App {}
        return App;
      });

      it('the app’s providers get the very guard the global guard uses', () => {
        const guard = app().get<TokenGuard>(TOKEN_GUARD);
        expect(app().get(Sessions).guard).toBe(guard);
        expect(typeof guard.evictSubject).toBe('function');
      });

      it('evictSubject through an injected service: the next request asks the identity service again', async () => {
        const t = idp.mintToken({ sub: 'dee', scope: 'orders:read' });
        expectOk(await get(app(), '/base/list', t));
        expectOk(await get(app(), '/base/list', t));
        expect(idp.calls.introspect).toBe(1);
        const admin = idp.mintToken({ sub: 'root', scope: 'admin' });
        const evicted = await send(urlOf(app()), '/sessions/evict-subject/dee', {
          method: 'POST',
          headers: bearer(admin),
        });
        expect(evicted.status).toBe(201);
        expect(evicted.body).toEqual({ evicted: 'dee' });
        expectOk(await get(app(), '/base/list', t));
        expect(idp.calls.introspect).toBe(3);
      });

      it('a bad option from the factory fails startup, naming the option', async () => {
        @Module({
          imports: [
            TokenGuardModule.forRootAsync({
              useFactory: () => options({ introspection: { endpoint: 'not a url' } } as never),
            }),
          ],
        })
        class Broken {}
        await expect(startNest(Broken, platform)).rejects.toMatchObject({
          name: 'TokenGuardConfigError',
        });
      });
    });

    describe('a refusal is answered before any handler, interceptor or exception filter', () => {
      const seen = { handler: 0, interceptor: 0, filter: 0 };
      const app = appWith(platform, () => {
        @Injectable()
        class Counting implements NestInterceptor {
          intercept(_context: ExecutionContext, next: CallHandler) {
            seen.interceptor++;
            return next.handle();
          }
        }

        @Catch()
        class CatchAll implements ExceptionFilter {
          constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}
          catch(_exception: unknown, host: ArgumentsHost) {
            seen.filter++;
            const response = host.switchToHttp().getResponse();
            this.host.httpAdapter.reply(response, { handledBy: 'app filter' }, 500);
          }
        }

        @Controller('counted')
        class Counted {
          @Get()
          counted() {
            seen.handler++;
            return { ok: true };
          }
        }

        @Module({
          imports: [TokenGuardModule.forRoot(options())],
          controllers: [Counted],
          providers: [
            { provide: APP_INTERCEPTOR, useClass: Counting },
            { provide: APP_FILTER, useClass: CatchAll },
          ],
        })
        class App {}
        return App;
      });

      it('no token, a revoked token, an outage: the guard’s answers, and nothing else ran', async () => {
        // From here on: the app's start-up warm-up request was a 404 its filter answered.
        Object.assign(seen, { handler: 0, interceptor: 0, filter: 0 });
        expectRefusal(await get(app(), '/counted'), 401, BARE, 'missing_token');
        const revoked = idp.mintToken();
        idp.revoke(revoked);
        expectRefusal(
          await get(app(), '/counted', revoked),
          401,
          `${BARE}, error="invalid_token"`,
          'invalid_token',
        );
        idp.injectFault('introspect', { kind: 'status', status: 502 }, 1);
        expectUnavailable(await get(app(), '/counted', idp.mintToken()));
        expect(seen).toEqual({ handler: 0, interceptor: 0, filter: 0 });
        expectOk(await get(app(), '/counted', idp.mintToken()));
        expect(seen).toEqual({ handler: 1, interceptor: 1, filter: 0 });
      });
    });

    describe('passErrors: a TokenGuardHttpException through Nest’s exception layer', () => {
      const caught: unknown[] = [];
      const app = appWith(platform, () => {
        // Only HttpExceptions: what Nest's own filter would get otherwise goes by.
        @Catch(HttpException)
        class Recorder implements ExceptionFilter {
          constructor(@Inject(HttpAdapterHost) private readonly host: HttpAdapterHost) {}
          catch(exception: HttpException, host: ArgumentsHost) {
            caught.push(exception);
            const response = host.switchToHttp().getResponse();
            this.host.httpAdapter.reply(response, exception.getResponse(), exception.getStatus());
          }
        }

        @Module({
          imports: [TokenGuardModule.forRoot({ ...options(), passErrors: true })],
          controllers: [BaseController],
          providers: [{ provide: APP_FILTER, useClass: Recorder }],
        })
        class App {}
        return App;
      });

      it('the app’s filter gets an HttpException: status, RFC 6750 body, the challenge already set', async () => {
        const answer = await get(app(), '/base/list');
        expectRefusal(answer, 401, BARE, 'missing_token');
        const exception = caught.at(-1);
        expect(exception).toBeInstanceOf(HttpException);
        expect(exception).toBeInstanceOf(TokenGuardHttpException);
        expect((exception as HttpException).getStatus()).toBe(401);
        expect((exception as HttpException).cause).toMatchObject({ code: 'missing_token' });
      });

      it('a route requirement and an outage arrive the same way (403, 503 with Retry-After)', async () => {
        const refused = await get(app(), '/base/list', idp.mintToken({ scope: 'profile' }));
        expectRefusal(refused, 403, scopeChallenge('orders:read'), 'insufficient_scope');
        idp.injectFault('introspect', { kind: 'status', status: 502 }, 1);
        expectUnavailable(await get(app(), '/base/list', idp.mintToken()));
        expect((caught.at(-1) as HttpException).cause).toMatchObject({
          code: 'temporarily_unavailable',
          expose: false,
        });
      });
    });

    describe('Nest’s own exception filter renders passErrors exceptions as the guard would', () => {
      const app = appWith(platform, () => {
        @Module({
          imports: [TokenGuardModule.forRoot({ ...options(), passErrors: true })],
          controllers: [BaseController],
        })
        class App {}
        return App;
      });

      it('401 with the challenge, no-store and the RFC 6750 body', async () => {
        expectRefusal(await get(app(), '/base/list'), 401, BARE, 'missing_token');
      });
    });

    describe('refused requests leave nothing behind (the pending pipeline is collected)', () => {
      const requests = new FinalizationRegistry<void>(() => {
        collected++;
      });
      let collected = 0;
      const app = appWith(platform, () => {
        @Module({
          imports: [TokenGuardModule.forRoot(options())],
          controllers: [BaseController],
        })
        class App implements NestModule {
          configure(consumer: MiddlewareConsumer) {
            consumer
              .apply((request: object, _response: unknown, next: () => void) => {
                requests.register(request);
                next();
              })
              .forRoutes(BaseController);
          }
        }
        return App;
      });

      it('every refused request object is garbage-collected', async () => {
        setFlagsFromString('--expose-gc');
        const gc = runInNewContext('gc') as () => void;
        const count = 40;
        for (let i = 0; i < count; i++) {
          expect((await get(app(), '/base/list')).status).toBe(401);
        }
        for (let round = 0; round < 50 && collected < count; round++) {
          gc();
          await sleep(20);
        }
        expect(collected).toBeGreaterThanOrEqual(count);
      });
    });
  });
}
