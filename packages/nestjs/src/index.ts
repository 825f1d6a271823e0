/**
 * @tokenguard/nestjs — the NestJS (11 and 12, on Express and on Fastify) adapter. It only
 * translates, on the core's adapter kit: a global guard builds the request's `RequestLike`,
 * attaches the auth context as `request.auth`, and writes the kit's answer on the platform's
 * response; route decorators carry the other adapters' route requirements.
 */
import './augment.js';
import {
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
  type FactoryProvider,
  ForbiddenException,
  HttpException,
  Inject,
  type MiddlewareConsumer,
  Module,
  type ModuleMetadata,
  type NestModule,
  type OnApplicationShutdown,
  RequestMethod,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type {
  AuthContext,
  GuardOptions,
  HeaderBag,
  RequestLike,
  TokenGuard,
} from '@tokenguard/core';
import {
  type Adapter,
  type AdapterOptions,
  type AuthResult,
  createAdapter,
  createResourceMetadataEndpoint,
  createSharedSignalsEndpoint,
  type GuardSource,
  type SharedSignalsRouteOptions,
} from '@tokenguard/core/adapter-kit';
import { type ResolvedRoute, resolveRoute } from './decorators.js';
import {
  answered,
  type NodeResponse,
  type PlatformRequest,
  requestLog,
  requestOf,
  setHeaders,
  viewOf,
  write,
  writeNode,
} from './respond.js';

export * from '@tokenguard/core/adapter-exports';
export type { TokenGuardRequestProperties } from './augment.js';
export {
  Auth,
  OptionalAuth,
  Public,
  RequireAnyScope,
  RequireAuthContext,
  RequireBrand,
  RequireClaims,
  RequireDpop,
  RequireScopes,
  type RouteDecorator,
} from './decorators.js';

import type { RequestProperty } from './augment.js';

/** Options of the Nest adapter itself (never passed to the core). */
export interface NestAdapterOptions extends AdapterOptions<RequestProperty> {}

/** Build the guard from options, or share a prebuilt one (which you then close yourself). */
export type TokenGuardModuleOptions = (
  | GuardOptions
  | ({ readonly guard: TokenGuard } & { readonly [K in keyof GuardOptions]?: never })
) &
  NestAdapterOptions;

/** `forRootAsync`: the options from a factory, with its module's providers injected. */
export interface TokenGuardModuleAsyncOptions
  extends Pick<ModuleMetadata, 'imports'>,
    Pick<FactoryProvider<TokenGuardModuleOptions>, 'useFactory' | 'inject'> {}

/**
 * The injection token of the core guard, for `evict`, `evictSubject`, `health`,
 * `metricsText`: `constructor(@InjectTokenGuard() private readonly guard: TokenGuard)`.
 */
export const TOKEN_GUARD: unique symbol = Symbol.for('@tokenguard/nestjs:guard');

/** Injects the core guard (`TOKEN_GUARD`). */
export const InjectTokenGuard = (): PropertyDecorator & ParameterDecorator => Inject(TOKEN_GUARD);

const OPTIONS = Symbol('@tokenguard/nestjs:options');
const ADAPTER = Symbol('@tokenguard/nestjs:adapter');

/**
 * With `passErrors`, what the guard throws for Nest's exception filters: status and body
 * are the RFC 6750 answer (`getStatus()`, `getResponse()`), its headers are already set on
 * the response (and on `headers`), and `cause` is the `TokenGuardError` (a 5xx one shows
 * only its public description).
 */
export class TokenGuardHttpException extends HttpException {
  /** The challenge, `Cache-Control` and `Retry-After`, as set on the response. */
  readonly headers: Readonly<Record<string, string>>;

  constructor(adapter: Adapter, error: unknown) {
    const { status, headers, body } = adapter.guard.errorResponse(error);
    super(body, status, { cause: adapter.passed(error) });
    this.headers = headers;
  }
}

/**
 * The global guard (`APP_GUARD`): authenticates every HTTP request that reaches a route
 * (unless `@Public()`), applies the route's decorators, and answers refusals itself.
 */
class TokenGuardGlobalGuard implements CanActivate {
  readonly #adapter: Adapter;

  constructor(adapter: Adapter) {
    this.#adapter = adapter;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const route = resolveRoute(context.getClass(), context.getHandler());
    if (route.access === 'public') return true;
    if (context.getType() !== 'http') {
      // Fail closed: RPC, WebSocket and GraphQL handlers carry no HTTP request to judge.
      throw new ForbiddenException(
        'tokenguard guards HTTP routes only: mark this handler @Public() to leave it to another guard',
      );
    }
    const adapter = this.#adapter;
    const request = requestOf(context);
    const view = viewOf(request);
    // A CORS preflight the app's CORS layer (`app.enableCors()`, which runs before any guard)
    // did not answer: answered here, so no handler runs for it (Fetch §3.2.2).
    const preflight = adapter.preflight(view);
    if (preflight !== undefined) {
      write(context, preflight);
      return answered();
    }
    adapter.tag(request);
    // The route's requirement is checked with the guard-wide one, in one order.
    const call = adapter.callContext(
      requestLog(request),
      route.access === 'optional' ? true : undefined,
      adapter.checksRouteRequirements ? route.requirements : undefined,
    );
    let result: AuthResult;
    try {
      result = adapter.authenticate(view, call);
    } catch (error) {
      return this.#refuse(context, error, view);
    }
    // A cached verdict comes back synchronously: only a miss waits on a promise.
    if (!(result instanceof Promise)) return this.#accept(context, request, route, view, result);
    return result.then(
      (auth) => this.#accept(context, request, route, view, auth),
      (error: unknown) => this.#refuse(context, error, view),
    );
  }

  #accept(
    context: ExecutionContext,
    request: PlatformRequest,
    route: ResolvedRoute,
    view: RequestLike,
    auth: AuthContext | undefined,
  ): boolean | Promise<boolean> {
    const adapter = this.#adapter;
    adapter.attach(request, auth);
    // `@OptionalAuth()` lets a request without a token through whatever its controller
    // requires; one with a token must meet it. Requirements declared beside it refuse a
    // request without a token (401), as every route helper does.
    if (route.requirements === undefined) return true;
    if (auth === undefined && route.access === 'optional' && !route.requiredWithoutToken) {
      return true;
    }
    // Checked by the guard already (a guard of another copy does not).
    if (auth !== undefined && adapter.checksRouteRequirements) return true;
    const call = adapter.callContext(requestLog(request));
    return adapter.guard.authorize(auth, route.requirements, view, call).then(
      () => true,
      (error: unknown) => this.#refuse(context, error, view),
    );
  }

  #refuse(context: ExecutionContext, error: unknown, view: RequestLike): Promise<boolean> {
    const adapter = this.#adapter;
    if (adapter.passErrors) {
      const exception = new TokenGuardHttpException(adapter, error);
      setHeaders(context, { ...exception.headers });
      throw exception;
    }
    write(context, adapter.answer(error, view));
    return answered();
  }
}

/**
 * Registers the guard for the whole app (`APP_GUARD`), provides the core guard
 * (`TOKEN_GUARD`), serves the RFC 9728 document when `resourceMetadata` is set, and closes a
 * guard it built when the app closes (`app.close()`, or a signal with `enableShutdownHooks()`),
 * after the HTTP server has stopped.
 *
 * @example
 * @Module({ imports: [TokenGuardModule.forRoot({ issuer, jwt: { audience } })] })
 * export class AppModule {}
 */
@Module({})
export class TokenGuardModule implements NestModule, OnApplicationShutdown {
  readonly #adapter: Adapter;

  constructor(@Inject(ADAPTER) adapter: Adapter) {
    this.#adapter = adapter;
  }

  /** The guard from options (checked now: a bad option fails the app's startup). */
  static forRoot(options: TokenGuardModuleOptions): DynamicModule {
    return moduleWith([{ provide: OPTIONS, useValue: options }], []);
  }

  /**
   * The options from a factory (a `ConfigService`, a secret store).
   *
   * @example
   * TokenGuardModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ issuer: config.getOrThrow('ISSUER') }),
   * })
   */
  static forRootAsync(options: TokenGuardModuleAsyncOptions): DynamicModule {
    const { useFactory, inject = [], imports = [] } = options;
    return moduleWith([{ provide: OPTIONS, useFactory, inject }], imports);
  }

  /** Serves the RFC 9728 document at its well-known paths, before any route or guard. */
  configure(consumer: MiddlewareConsumer): void {
    const adapter = this.#adapter;
    const paths = adapter.settings.resourceMetadata?.paths;
    if (paths === undefined || paths.length === 0) return;
    consumer
      .apply((request: NodeRequest, response: NodeResponse, next: () => void) => {
        const answer = adapter.document(request.method ?? '', request.originalUrl ?? request.url);
        if (answer === undefined) next();
        else writeNode(response, answer);
      })
      .forRoutes(...paths.map((path) => ({ path, method: RequestMethod.ALL })));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#adapter.close();
  }
}

/** The Node request Nest middleware receives on either platform (Express's is one too). */
interface NodeRequest extends AsyncIterable<Uint8Array | string> {
  readonly method?: string;
  readonly url: string;
  readonly originalUrl?: string;
  readonly headers: HeaderBag;
  readonly body?: unknown;
}

/**
 * An OpenID Shared Signals receiver (RFC 8935 push of RFC 8417 SETs) as Nest middleware:
 * CAEP session-revoked and credential-change events evict the subject's cached verdicts.
 * It answers before routing, so the guard never sees the transmitter's request (a signed
 * SET, not an access token).
 *
 * @example
 * export class AppModule implements NestModule {
 *   constructor(@InjectTokenGuard() private readonly guard: TokenGuard) {}
 *   configure(consumer: MiddlewareConsumer) {
 *     consumer
 *       .apply(sharedSignalsReceiver({ guard: this.guard, issuer, jwksUri, audience }))
 *       .forRoutes({ path: 'ssf', method: RequestMethod.POST });
 *   }
 * }
 */
export function sharedSignalsReceiver(
  options: SharedSignalsRouteOptions,
): (request: NodeRequest, response: NodeResponse, next: (error?: unknown) => void) => void {
  const endpoint = createSharedSignalsEndpoint(options);
  return (request, response, next) => {
    endpoint
      .handle(request.method ?? '', request.headers, request.body, request)
      .then((answer) => writeNode(response, answer), next);
  };
}

/**
 * The RFC 9728 document at its well-known paths as platform middleware, for `app.use()`. The
 * module serves it on its own, but Nest puts module middleware under a global prefix
 * (`setGlobalPrefix`), while RFC 9728 §3 puts the document at the host's root: with a prefix,
 * mount this (platform middleware is not prefixed). Other requests go on.
 *
 * @example
 * app.setGlobalPrefix('api');
 * app.use(resourceMetadataHandler(app.get(TOKEN_GUARD)));
 */
export function resourceMetadataHandler(
  guard: GuardSource,
): (request: NodeRequest, response: NodeResponse, next: () => void) => void {
  const endpoint = createResourceMetadataEndpoint(guard);
  return (request, response, next) => {
    const answer = endpoint.serve(request.method ?? '', request.originalUrl ?? request.url);
    if (answer === undefined) next();
    else writeNode(response, answer);
  };
}

/** The dynamic module both `forRoot` and `forRootAsync` return. */
function moduleWith(
  providers: NonNullable<ModuleMetadata['providers']>,
  imports: NonNullable<ModuleMetadata['imports']>,
): DynamicModule {
  return {
    module: TokenGuardModule,
    global: true,
    imports,
    providers: [
      ...providers,
      {
        provide: ADAPTER,
        inject: [OPTIONS],
        // Startup waits for discovery: a contradicting issuer fails it, an outage warns.
        useFactory: async (options: TokenGuardModuleOptions) => {
          const adapter = createAdapter(options);
          await adapter.ready();
          return adapter;
        },
      },
      { provide: TOKEN_GUARD, inject: [ADAPTER], useFactory: (a: Adapter) => a.guard },
      {
        provide: APP_GUARD,
        inject: [ADAPTER],
        useFactory: (a: Adapter) => new TokenGuardGlobalGuard(a),
      },
    ],
    exports: [TOKEN_GUARD],
  };
}
