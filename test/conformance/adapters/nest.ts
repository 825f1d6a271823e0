/**
 * The harness for NestJS on one platform (Express or Fastify). The Nest major is the one
 * `@nestjs/*` resolves to: 12 here, 11 in the `nest11` vitest project (its aliases), and
 * checked at startup. Route requirements are declared with the decorators, both on handlers
 * and on a controller (`/step-up/*`, `/claims/*`), so the suite covers both levels.
 */
import type { AddressInfo } from 'node:net';
import {
  All,
  type ArgumentsHost,
  Controller,
  type DynamicModule,
  type ExceptionFilter,
  Get,
  Header,
  HttpCode,
  type INestApplication,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  Optional,
  Options,
  Post,
  Query,
  Req,
  RequestMethod,
  Res,
} from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { PROMETHEUS_CONTENT_TYPE, type TokenGuard } from '@tokenguard/core';
import {
  OptionalAuth,
  Public,
  RequireAnyScope,
  RequireAuthContext,
  RequireBrand,
  RequireClaims,
  RequireDpop,
  RequireScopes,
  sharedSignalsReceiver,
  TOKEN_GUARD,
  TokenGuardHttpException,
  TokenGuardModule,
  type TokenGuardModuleOptions,
} from '@tokenguard/nestjs';
import {
  ADMIN_SCOPE,
  type AdapterHarness,
  type AppSpec,
  BRAND_LIST,
  BRAND_STATIC,
  brandFromHost,
  brandFromPath,
  CORS_ORIGIN,
  describeAuth,
  detailedFrameworkView,
  frameworkView,
  PASS_ERRORS_STATUS,
  SCOPES_ALL,
  SCOPES_ANY,
  STEP_UP_ACR,
  STEP_UP_RECENT,
  subjectIsAlice,
  throwingPredicate,
  tlsServerOptions,
  whereView,
} from '../harness.js';
import { send } from '../http.js';

export type NestPlatform = 'express' | 'fastify';

/** The major of the `@nestjs/core` this file resolved (per vitest project). */
export async function nestMajor(): Promise<number> {
  const manifest = (await import('@nestjs/core/package.json' as string, {
    with: { type: 'json' },
  })) as { default: { version: string } };
  return Number(manifest.default.version.split('.')[0]);
}

type Request = Record<string, unknown>;

export function nestHarness(major: number, platform: NestPlatform): AdapterHarness {
  return {
    name: `nest ${major} on ${platform}`,
    requestLogs: true,
    guardIsGlobal: true,
    routeRequirementsAtAuthentication: true,
    async createApp(spec) {
      const loaded = await nestMajor();
      if (loaded !== major) throw new Error(`expected Nest ${major}, loaded Nest ${loaded}`);
      const app = await startNest(appModule(spec, platform), platform, {
        tls: spec.tls,
        setup: (created) => {
          // Nest's own CORS layer: it runs before routing, so before every guard.
          if (spec.cors) created.enableCors({ origin: CORS_ORIGIN });
          created.useGlobalFilters(new FrameworkErrors(created, spec.detailedErrors === true));
        },
      });
      return {
        url: urlOf(app, spec.tls !== undefined),
        guard: spec.withoutGuard ? undefined : app.get<TokenGuard>(TOKEN_GUARD),
        // The module closes a guard it built when the app shuts down.
        close: () => app.close(),
      };
    },
  };
}

const WARM_UP = '/warm-up';

/** Creates and starts a Nest app on a free loopback port; closes it if startup fails. */
export async function startNest(
  module: DynamicModule | (new () => unknown),
  platform: NestPlatform,
  options: {
    readonly tls?: { readonly cert: string; readonly key: string };
    readonly setup?: (app: INestApplication) => void;
  } = {},
): Promise<INestApplication> {
  const https = options.tls === undefined ? undefined : tlsServerOptions(options.tls);
  const app = await NestFactory.create(
    module,
    platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(https ? { https } : {}),
    // abortOnError: false, so a refused option rejects here instead of ending the process.
    {
      logger: false,
      abortOnError: false,
      ...(https && platform === 'express' ? { httpsOptions: https } : {}),
    },
  );
  options.setup?.(app);
  try {
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  // One request through Nest's router and reply before the cases: the first one compiles
  // them, and on a loaded machine that held the loop past the cases' 300 ms upstream deadline
  // (the identity server answers from the same loop). `/warm-up` is public or absent (404):
  // neither the guard nor the identity server sees it.
  await send(urlOf(app, options.tls !== undefined), WARM_UP, {}).catch(() => undefined);
  return app;
}

/** Not `app.getUrl()`: Nest 11 on Fastify names https servers http. */
export function urlOf(app: INestApplication, tls = false): string {
  const { port } = app.getHttpServer().address() as AddressInfo;
  return `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
}

/** The framework's own error handling: answers 418 with what it was handed (`passErrors`). */
class FrameworkErrors implements ExceptionFilter {
  constructor(
    private readonly app: INestApplication,
    private readonly detailed: boolean,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const error = exception instanceof TokenGuardHttpException ? exception.cause : exception;
    const view = this.detailed ? detailedFrameworkView(error) : frameworkView(error);
    this.app.getHttpAdapter().reply(host.switchToHttp().getResponse(), view, PASS_ERRORS_STATUS);
  }
}

function appModule(spec: AppSpec, platform: NestPlatform): DynamicModule {
  const property = spec.adapterOptions?.requestProperty ?? 'auth';
  const answer = (request: Request) => describeAuth(request[property] as never);

  @Controller()
  class Routes {
    @Get('protected')
    protected(@Req() request: Request) {
      return answer(request);
    }

    @Get('optional')
    @OptionalAuth()
    optional(@Req() request: Request) {
      return answer(request);
    }

    @Get('where')
    where(@Req() request: Request) {
      return whereView(request[property] as never, request.auth);
    }

    @Get('scopes/all')
    @RequireScopes(...SCOPES_ALL)
    scopesAll(@Req() request: Request) {
      return answer(request);
    }

    @Get('scopes/any')
    @RequireAnyScope(...SCOPES_ANY)
    scopesAny(@Req() request: Request) {
      return answer(request);
    }

    @Get('brand/static')
    @RequireBrand(BRAND_STATIC)
    brandStatic(@Req() request: Request) {
      return answer(request);
    }

    @Get('brand/list')
    @RequireBrand(BRAND_LIST)
    brandList(@Req() request: Request) {
      return answer(request);
    }

    @Get('brand/by-path/:brand')
    @RequireBrand(brandFromPath)
    brandByPath(@Req() request: Request) {
      return answer(request);
    }

    @Get('brand/by-host')
    @RequireBrand(brandFromHost)
    brandByHost(@Req() request: Request) {
      return answer(request);
    }

    @Post('form')
    @HttpCode(200)
    form(@Req() request: Request) {
      return answer(request);
    }

    // The app's own CORS answer, reached only if the guard let the preflight through.
    @Options('protected')
    @HttpCode(204)
    preflight() {}

    @Get('dpop/required')
    @RequireDpop()
    dpopRequired(@Req() request: Request) {
      return answer(request);
    }

    @Get('dpop/disabled')
    @RequireDpop('disabled')
    dpopDisabled(@Req() request: Request) {
      return answer(request);
    }

    // A requirement declared beside @OptionalAuth() still refuses a request without a token.
    @Get('optional/scopes')
    @OptionalAuth()
    @RequireScopes(ADMIN_SCOPE)
    optionalScopes(@Req() request: Request) {
      return answer(request);
    }
  }

  // Method-agnostic handlers (every method, OPTIONS included), each behind one decorator.
  @Controller('any')
  class AnyMethod {
    @All()
    any(@Req() request: Request) {
      return answer(request);
    }

    @All('scopes')
    @RequireScopes(ADMIN_SCOPE)
    scopes(@Req() request: Request) {
      return answer(request);
    }

    @All('any-scope')
    @RequireAnyScope(ADMIN_SCOPE)
    anyScope(@Req() request: Request) {
      return answer(request);
    }

    @All('brand')
    @RequireBrand(BRAND_STATIC)
    brand(@Req() request: Request) {
      return answer(request);
    }

    @All('claims')
    @RequireClaims(subjectIsAlice)
    claims(@Req() request: Request) {
      return answer(request);
    }

    @All('step-up')
    @RequireAuthContext(STEP_UP_ACR)
    stepUp(@Req() request: Request) {
      return answer(request);
    }

    @All('dpop')
    @RequireDpop()
    dpop(@Req() request: Request) {
      return answer(request);
    }
  }

  // Controller-level requirements: every handler below inherits them.
  @Controller('claims')
  @RequireClaims(subjectIsAlice)
  class Claims {
    @Get()
    claims(@Req() request: Request) {
      return answer(request);
    }

    // The handler's predicate overrides the controller's.
    @Get('throws')
    @RequireClaims(throwingPredicate)
    throws(@Req() request: Request) {
      return answer(request);
    }
  }

  @Controller('step-up')
  @RequireAuthContext(STEP_UP_RECENT)
  class StepUp {
    @Get('acr')
    @RequireAuthContext(STEP_UP_ACR)
    acr(@Req() request: Request) {
      return answer(request);
    }

    @Get('recent')
    recent(@Req() request: Request) {
      return answer(request);
    }
  }

  @Controller()
  class WarmUp {
    @Get(WARM_UP)
    @Public()
    warmUp() {
      return {};
    }
  }

  // Nest runs guards on routes only (an unknown path is its 404, guard or not): this
  // catch-all puts every other path behind the guard, as the other adapters' apps do.
  @Controller()
  class Elsewhere {
    // Express 5's path syntax names its wildcard; find-my-way's is a bare `*`.
    @All(platform === 'express' ? '*path' : '*')
    @HttpCode(404)
    notFound() {
      return { error: 'not found' };
    }
  }

  // Operations routes skip the guard: probes carry no token. The guard is injected.
  @Controller('ops')
  @Public()
  class Ops {
    constructor(
      @Inject(TOKEN_GUARD) private readonly guard: TokenGuard,
      @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    ) {}

    @Get('ready')
    async ready(
      @Query('probe') probe: string | undefined,
      @Query('summary') summary: string | undefined,
      @Res() response: unknown,
    ) {
      const health = await this.guard.health({ probe: probe === '1', summary: summary === '1' });
      this.host.httpAdapter.reply(response, health, health.ready ? 200 : 503);
    }

    @Get('metrics')
    @Header('content-type', PROMETHEUS_CONTENT_TYPE)
    metrics() {
      return this.guard.metricsText();
    }
  }

  const controllers: Array<new (...args: never[]) => unknown> = [Routes, Claims, StepUp, AnyMethod];
  const imports: DynamicModule[] = [];
  if (!spec.withoutGuard) {
    imports.push(
      TokenGuardModule.forRoot(
        (spec.guard === undefined
          ? { ...spec.guardOptions, ...spec.adapterOptions }
          : { guard: spec.guard, ...spec.adapterOptions }) as TokenGuardModuleOptions,
      ),
    );
    if (spec.ops !== undefined) controllers.push(Ops);
  }
  controllers.push(WarmUp);
  // `app.enableCors()` on Fastify declares `OPTIONS *` itself (@fastify/cors), which Fastify
  // refuses to see declared twice: with it, the cases use declared routes only.
  if (!(spec.cors && platform === 'fastify')) controllers.push(Elsewhere);

  @Module({})
  class App implements NestModule {
    constructor(@Optional() @Inject(TOKEN_GUARD) private readonly guard: TokenGuard) {}

    configure(consumer: MiddlewareConsumer) {
      const log = spec.requestLog;
      if (log !== undefined) {
        // The app's request logger on the Node message, as pino-http puts it.
        consumer
          .apply((request: { log?: unknown }, _response: unknown, next: () => void) => {
            request.log = log;
            next();
          })
          .forRoutes(...controllers);
      }
      const sharedSignals = spec.ops?.sharedSignals;
      if (sharedSignals !== undefined && !spec.withoutGuard) {
        consumer
          .apply(sharedSignalsReceiver({ guard: this.guard, ...sharedSignals }))
          .forRoutes({ path: 'ops/ssf', method: RequestMethod.POST });
      }
    }
  }
  void App;
  return { module: App, imports, controllers };
}
