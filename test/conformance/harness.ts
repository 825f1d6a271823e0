/**
 * The contract between the conformance suite and one adapter: build an app with the same
 * routes in every framework, so each case runs unchanged for Express, Koa and Fastify.
 */
import { createHash } from 'node:crypto';
import {
  type AuthContext,
  type BrandRequirement,
  type ClaimsPredicate,
  createGuard,
  type GuardOptions,
  isTokenGuardError,
  type TokenGuard,
} from '@tokenguard/core';
import type {
  ErrorFormatter,
  RequestLog,
  SharedSignalsRouteOptions,
} from '@tokenguard/core/adapter-kit';
import { afterAll, beforeAll, describe } from 'vitest';
import { nodeTlsClientCertificateGap } from './adapters/node-tls-capability.js';

export interface AppSpec {
  readonly guardOptions: GuardOptions;
  readonly adapterOptions?: {
    readonly passErrors?: boolean;
    readonly onError?: ErrorFormatter;
    /** Where the auth lands; handlers and `/where` read it there. */
    readonly requestProperty?: string;
  };
  /** Use this prebuilt guard (shared: the app must leave it open) instead of `guardOptions`. */
  readonly guard?: TokenGuard;
  /** Leave the global guard out: only the route helpers are mounted (misconfiguration). */
  readonly withoutGuard?: boolean;
  /**
   * Operations routes, mounted outside the guard (they carry no access token):
   * `GET /ops/ready` (`guard.health()`, `?probe=1` for `{ probe: true }`, `?summary=1` for
   * `{ summary: true }`; 200 when ready,
   * else 503), `GET /ops/metrics` (`guard.metricsText()`), and with `sharedSignals`,
   * `POST /ops/ssf` (`sharedSignalsReceiver({ guard, ...sharedSignals })`).
   */
  readonly ops?: {
    readonly sharedSignals?: Omit<SharedSignalsRouteOptions, 'guard'>;
  };
  /** Await the adapter's startup (`ready()`) before listening, as an app should. */
  readonly awaitReady?: boolean;
  /** The app's own per-request logger (pino order), as `req.log` / `ctx.log` / `request.log`. */
  readonly requestLog?: RequestLog;
  /** With `passErrors`: the framework handler answers `detailedFrameworkView(error)`. */
  readonly detailedErrors?: boolean;
  /**
   * Serve over TLS (https on loopback) with this server certificate, asking every client
   * for a certificate without judging it (`requestCert`, `rejectUnauthorized: false`):
   * mTLS-bound tokens (RFC 8705 §3) are judged by the guard, not by the TLS layer.
   */
  readonly tls?: { readonly cert: string; readonly key: string };
  /**
   * Mount the framework's usual CORS middleware (`cors`, `@koa/cors`, `@fastify/cors`,
   * `hono/cors`) first, before the guard, as the README documents it: it allows
   * `CORS_ORIGIN` and answers that origin's preflights itself.
   */
  readonly cors?: boolean;
  /**
   * Mount the guard on one route only, `GET /api/protected` (Express, Koa and Hono: route
   * middleware; Fastify: the plugin in a scope with the prefix `/api`), instead of on the whole
   * app; with `metadataHandler`, the adapter's `resourceMetadataHandler` at the app's root.
   * The other routes are then not behind the guard.
   */
  readonly routeMounted?: { readonly metadataHandler: boolean };
}

/** Node `https` server options for `AppSpec.tls`. */
export function tlsServerOptions(tls: { readonly cert: string; readonly key: string }) {
  return { cert: tls.cert, key: tls.key, requestCert: true, rejectUnauthorized: false };
}

export interface RunningApp {
  readonly url: string;
  /** The guard the adapter built (absent with `withoutGuard`). */
  readonly guard: TokenGuard | undefined;
  close(): Promise<void>;
}

export interface AdapterHarness {
  /** e.g. `express 5`. */
  readonly name: string;
  /** The framework has a per-request logger convention the adapter logs through. */
  readonly requestLogs: boolean;
  /** Builds, starts and returns the app; rejects when the adapter refuses the options. */
  createApp(spec: AppSpec): Promise<RunningApp>;
  /**
   * The guard always covers the whole app (Nest's global guard): `AppSpec.routeMounted` does
   * not apply, and the module serves the RFC 9728 document for every route.
   */
  readonly guardIsGlobal?: boolean;
  /**
   * What the server under this harness cannot give the adapter, each with why. The cases that
   * need it are skipped with that reason in their name: counted as skips, never as passes.
   */
  readonly cannot?: { readonly [C in ServerCapability]?: string };
  /**
   * `/step-up/acr` declares its requirement where the guard sees it when it authenticates
   * (Fastify route options, Nest decorators): the guard checks it with the guard-wide one,
   * in one order. Route helpers (Express, Koa, Hono middleware) run after the guard.
   */
  readonly routeRequirementsAtAuthentication?: boolean;
}

/**
 * The same harness with a prebuilt guard: `createGuard(spec.guardOptions)` handed to the
 * adapter (`tokenGuard(guard)`, `register(tokenGuard, { guard })`, `forRoot({ guard })`) and
 * closed after the app, as an app that shares one guard does. A prebuilt guard must behave
 * exactly like the one the adapter builds from the same options, so the suites run unchanged.
 */
export function withPrebuiltGuard(harness: AdapterHarness): AdapterHarness {
  return {
    ...harness,
    name: `${harness.name}, prebuilt guard`,
    async createApp(spec) {
      if (spec.guard !== undefined || spec.withoutGuard) return harness.createApp(spec);
      const guard = createGuard(spec.guardOptions);
      let app: RunningApp;
      try {
        app = await harness.createApp({ ...spec, guard });
      } catch (error) {
        await guard.close();
        throw error;
      }
      return {
        url: app.url,
        guard: app.guard,
        async close() {
          try {
            await app.close();
          } finally {
            await guard.close();
          }
        },
      };
    },
  };
}

/** What some runtimes' servers do not expose to a request handler. */
export type ServerCapability = 'tlsClientCertificate';

/** `describe`, or a skip that names the reason when the harness cannot serve `capability`. */
export function describeWith(
  harness: AdapterHarness,
  capability: ServerCapability,
  title: string,
  body: () => void,
): void {
  const reason =
    harness.cannot?.[capability] ??
    (capability === 'tlsClientCertificate' ? nodeTlsClientCertificateGap : undefined);
  if (reason === undefined) describe(title, body);
  else describe.skip(`${title} — skipped on ${harness.name}: ${reason}`, body);
}

/**
 * The routes every harness mounts (behind the global guard unless `withoutGuard`):
 *
 * - `GET  /protected`              the global guard only
 * - `GET  /scopes/all`             requireScopes(...SCOPES_ALL)
 * - `GET  /scopes/any`             requireAnyScope(...SCOPES_ANY)
 * - `GET  /brand/static`           requireBrand(BRAND_STATIC)
 * - `GET  /brand/list`             requireBrand(BRAND_LIST)
 * - `GET  /brand/by-path/:brand`   requireBrand(brandFromPath)
 * - `GET  /brand/by-host`          requireBrand(brandFromHost)
 * - `GET  /claims`                 requireClaims(subjectIsAlice)
 * - `GET  /claims/throws`          requireClaims(throwingPredicate)
 * - `POST /form`                   the global guard; urlencoded and JSON bodies parsed
 * - `GET  /optional`               the adapter's per-route optional guard (not the global one)
 * - `GET  /where`                  `whereView`: which request property holds the auth
 * - `GET  /step-up/acr`            requireAuthContext(STEP_UP_ACR)
 * - `GET  /step-up/recent`         requireAuthContext(STEP_UP_RECENT)
 * - `OPTIONS /protected`           the global guard, then 204 (the app's own CORS answer)
 * - `GET  /dpop/required`          requireDpop()            (RFC 9449 per route)
 * - `GET  /dpop/disabled`          requireDpop('disabled')
 * - `ALL  /any`                     the global guard only, every method (a method-agnostic handler)
 * - `ALL  /any/scopes`              requireScopes(ADMIN_SCOPE), every method
 * - `ALL  /any/any-scope`           requireAnyScope(ADMIN_SCOPE), every method
 * - `ALL  /any/brand`               requireBrand(BRAND_STATIC), every method
 * - `ALL  /any/claims`              requireClaims(subjectIsAlice), every method
 * - `ALL  /any/step-up`             requireAuthContext(STEP_UP_ACR), every method
 * - `ALL  /any/dpop`                requireDpop(), every method
 * - `GET  /optional/scopes`         the per-route optional guard, then requireScopes(ADMIN_SCOPE)
 *
 * Every handler answers `describeAuth(auth)`. With `passErrors`, the framework's own error
 * handling answers 418 with `frameworkView(error)`.
 */
export const SCOPES_ALL = ['orders:read', 'orders:write'] as const;
export const SCOPES_ANY = ['orders:read', 'admin'] as const;
export const BRAND_STATIC = 'acme';
/** RFC 9470 step-up requirements of `/step-up/acr` and `/step-up/recent`. */
export const STEP_UP_ACR = { acr: ['urn:example:mfa', 'urn:example:hwk'] } as const;
export const STEP_UP_RECENT = { maxAgeSec: 300 } as const;
export const BRAND_LIST = ['acme', 'globex'] as const;
/** The scope of the method-agnostic `/any/*` routes and `/optional/scopes`. */
export const ADMIN_SCOPE = 'admin';
/** The origin the CORS middleware of `AppSpec.cors` allows. */
export const CORS_ORIGIN = 'https://app.example';

/** Multi-brand by path: `/brand/by-path/<brand>`. */
export const brandFromPath: BrandRequirement = (request) =>
  new URL(request.url, 'http://localhost').pathname.split('/')[3];

/** Multi-brand by host: `<brand>.brands.test`; any other host accepts no brand. */
export const brandFromHost: BrandRequirement = (request) => {
  const host = request.headers.host;
  return typeof host === 'string' ? /^([a-z]+)\.brands\.test(?::\d+)?$/.exec(host)?.[1] : undefined;
};

export const subjectIsAlice: ClaimsPredicate = (auth) => auth.claims.sub === 'alice';

export const throwingPredicate: ClaimsPredicate = () => {
  throw new Error('a bug in the predicate');
};

export interface AuthView {
  readonly auth: Record<string, unknown> | null;
  /** sha256 of `auth.token`, so the test can compare it without echoing the token. */
  readonly tokenSha256: string | null;
  readonly tokenEnumerable: boolean | null;
  readonly serializedHasToken: boolean | null;
}

/** What every route handler answers. */
export function describeAuth(auth: AuthContext | undefined | null): AuthView {
  if (auth === undefined || auth === null) {
    return { auth: null, tokenSha256: null, tokenEnumerable: null, serializedHasToken: null };
  }
  const serialized = JSON.stringify(auth);
  return {
    auth: JSON.parse(serialized) as Record<string, unknown>,
    tokenSha256: sha256(auth.token),
    tokenEnumerable: Object.keys(auth).includes('token'),
    serializedHasToken: serialized.includes(auth.token),
  };
}

/** What the framework's error handler saw, with `passErrors`. */
export function frameworkView(error: unknown): Record<string, unknown> {
  const { status, code } = error as { status?: unknown; code?: unknown };
  return { handledBy: 'framework', isTokenGuardError: isTokenGuardError(error), status, code };
}

/** What the framework's error handler saw, with `detailedErrors`: what it would render. */
export function detailedFrameworkView(error: unknown): Record<string, unknown> {
  const { message, expose, stack } = error as {
    message?: unknown;
    expose?: unknown;
    stack?: unknown;
  };
  const detail = (error as { detail?: unknown }).detail;
  return {
    ...frameworkView(error),
    message,
    expose,
    detail,
    detailEnumerable: Object.keys(error as object).includes('detail'),
    stack,
  };
}

/** `GET /where`: the subject at the configured property, and whether `auth` is set. */
export function whereView(
  atProperty: AuthContext | undefined,
  atAuth: unknown,
): { property: string | null; auth: boolean } {
  return { property: atProperty?.claims.sub ?? null, auth: atAuth !== undefined };
}

export const PASS_ERRORS_STATUS = 418;

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/**
 * One app per describe block: started before its cases, closed after them. Call it inside
 * the `describe` whose cases use the app; the returned getter fails if the app is not up.
 */
export function appPerBlock(harness: AdapterHarness, spec: () => AppSpec): () => RunningApp {
  let app: RunningApp | undefined;
  beforeAll(async () => {
    app = await harness.createApp(spec());
  });
  afterAll(async () => {
    await app?.close();
  });
  return () => {
    if (app === undefined) throw new Error('app not started');
    return app;
  };
}
