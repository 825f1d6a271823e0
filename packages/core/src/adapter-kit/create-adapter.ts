/**
 * One adapter instance: the guard (built from options, or shared), the adapter settings,
 * and everything a framework's middleware does with them that is not framework syntax:
 * the per-call context, the refusal answer, the error handed to the framework, startup
 * (`ready`) and shutdown (`close`) of a guard the adapter owns.
 */
import { createGuard } from '../create-guard.js';
import {
  isTokenGuardError,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
} from '../errors.js';
import { type AuthenticateNow, kAuthenticateNow } from '../guard/authenticate-now.js';
import type { CallContext, TokenGuard } from '../guard-types.js';
import { kAdapter, kGuard } from '../internal/symbols.js';
import type { GuardOptions } from '../options/types.js';
import { WELL_KNOWN_PATH } from '../resource-metadata/create-resource-metadata.js';
import { serveResourceMetadata } from '../resource-metadata/serve-resource-metadata.js';
import { isCorsPreflight } from '../token/is-cors-preflight.js';
import type { AuthContext, RequestLike, Requirements, TokenGuardLogger } from '../types.js';
import {
  ADAPTER_OPTION_KEYS,
  type AdapterOptions,
  type AdapterSettings,
  normalizeAdapterOptions,
} from './adapter-options.js';
import { type Answer, checkFormatted, type ErrorFormatter, JSON_CONTENT_TYPE } from './answer.js';
import { servesResourceMetadata } from './create-resource-metadata-endpoint.js';
import { isGuard } from './is-guard.js';
import { requestLogOf } from './request-log.js';
import { type GuardSettings, settingsOf } from './settings-of.js';

/** What `tokenGuard()` returns in the middleware-style adapters (Express, Koa, Hono). */
export type GuardMiddleware<Middleware> = Middleware & {
  readonly guard: TokenGuard;
  /** The same guard for routes that also accept requests without a token. */
  readonly optional: Middleware;
  /** Await before `listen()`: discovery runs; a contradicting issuer throws, an outage warns. */
  ready(): Promise<void>;
  /** Closes the guard if the adapter built it: call it when the server closes. */
  close(): Promise<void>;
};

/**
 * The guard's own answer to a CORS preflight: `204` and nothing else. No CORS headers of its
 * own: the app's CORS middleware, mounted before the guard, answers preflights it allows.
 */
const PREFLIGHT_ANSWER: Answer = Object.freeze({ status: 204, headers: {}, body: '' });

/** Per-call contexts without a request logger, built once. */
const OPTIONAL: CallContext = Object.freeze({ optional: true });
const REQUIRED: CallContext = Object.freeze({ optional: false });

export class Adapter {
  readonly guard: TokenGuard;
  /** Built here from options, so closed by the adapter (with the app where it can). */
  readonly owned: boolean;
  readonly passErrors: boolean;
  /** Where the auth context lands (`req.auth`, `ctx.state.auth`, …). */
  readonly property: string;
  /** The guard's resolved settings (the same whether the adapter built the guard or not). */
  readonly settings: GuardSettings;
  /** Whether the guard reads form bodies (`token.body`): the adapter parses them first. */
  readonly bodyToken: boolean;
  /** Framework-only options the caller named, for the adapter to check. */
  readonly frameworkOptions: Readonly<Record<string, unknown>>;
  /**
   * `guard.authenticate` for the middleware: a cached verdict synchronously (a value, or a
   * thrown refusal), a miss as a promise.
   */
  readonly authenticate: AuthenticateNow;
  /**
   * True while the guard publishes RFC 9728 metadata and its middleware has not yet seen where
   * it is mounted: the middleware then reports its mount to `mountedAt` (otherwise this one
   * field read is all a request costs).
   */
  mountUnknown: boolean;
  /**
   * Whether `authenticate` checks the route requirement passed in its call context with the
   * guard-wide one (a guard of this copy does). Otherwise the adapter calls `authorize` after.
   */
  readonly checksRouteRequirements: boolean;
  readonly #onError: ErrorFormatter | undefined;
  readonly #logger: TokenGuardLogger;
  /** The app opted in to passing preflights on (`passCorsPreflight`); else we answer them. */
  readonly #passesPreflights: boolean;

  constructor(
    guard: TokenGuard,
    owned: boolean,
    adapterSettings: AdapterSettings,
    frameworkOptions: Record<string, unknown>,
  ) {
    const { passErrors, onError, property } = adapterSettings;
    // Read from the guard, never from the options: a prebuilt guard behaves the same.
    const settings = settingsOf(guard);
    this.settings = settings;
    this.guard = guard;
    const now = (guard as { [kAuthenticateNow]?: AuthenticateNow })[kAuthenticateNow];
    this.authenticate = now ?? ((request, context) => guard.authenticate(request, context));
    this.checksRouteRequirements = now !== undefined;
    this.owned = owned;
    this.passErrors = passErrors;
    this.property = property;
    this.bodyToken = settings.extraction.allowBodyToken;
    this.frameworkOptions = Object.freeze(frameworkOptions);
    this.#onError = onError;
    this.#logger = settings.logger;
    this.#passesPreflights = settings.passCorsPreflight;
    this.mountUnknown = settings.resourceMetadata !== undefined;
  }

  /** The adapter's middleware (`make(undefined)`), its optional variant, `ready`, `close`. */
  middleware<Middleware extends object>(
    make: (optional: boolean | undefined) => Middleware,
  ): GuardMiddleware<Middleware> {
    return Object.assign(make(undefined), {
      guard: this.guard,
      optional: make(true),
      ready: () => this.ready(),
      close: () => this.close(),
    });
  }

  /** Tags a framework request (or context) for the route helpers. */
  tag(target: object): void {
    (target as Record<symbol, unknown>)[kGuard] = this.guard;
    (target as Record<symbol, unknown>)[kAdapter] = this;
  }

  /**
   * A document the guard serves itself, before any authentication: the RFC 9728 Protected
   * Resource Metadata at `/.well-known/oauth-protected-resource` (and its path-suffixed
   * form) for `GET`/`HEAD`. `undefined` for every other request. `url` is the request target
   * (path and query) as the view carries it.
   */
  document(method: string, url: string): Answer | undefined {
    return serveResourceMetadata(this.settings.resourceMetadata, method, url);
  }

  /**
   * Where the middleware saw its first request from: `undefined` at the app's root (it sees
   * every path, the well-known one included), else the route or path prefix it is mounted on.
   * Mounted there, it never sees the RFC 9728 document's path: unless the app serves it with
   * `resourceMetadataHandler`, the guard's logger says so, once.
   */
  mountedAt(mount: string | undefined): void {
    this.mountUnknown = false;
    if (mount !== undefined && !servesResourceMetadata(this.guard)) {
      this.documentUnreachable(`on ${mount}`);
    }
  }

  /** Warns through the guard's logger that the RFC 9728 document is not served, and why. */
  documentUnreachable(where: string): void {
    this.#logger.warn(
      `tokenguard: resourceMetadata is set, but this guard is mounted ${where}: requests for ${WELL_KNOWN_PATH} never reach it, so the RFC 9728 document is not served. Mount resourceMetadataHandler(guard) at the app's root.`,
    );
  }

  /**
   * The answer to a CORS preflight (Fetch §3.2.2) that reached the guard: no handler behind
   * the guard runs for a request it did not authenticate, and a preflight carries no token.
   * `undefined` for every other request, and for every request when the app opted in to
   * passing preflights on.
   */
  preflight(request: RequestLike): Answer | undefined {
    return !this.#passesPreflights && isCorsPreflight(request) ? PREFLIGHT_ANSWER : undefined;
  }

  /** Sets the auth context where this adapter puts it. */
  attach(target: object, auth: AuthContext | undefined): void {
    if (auth !== undefined) (target as Record<string, unknown>)[this.property] = auth;
  }

  /** Reads it back (for route helpers). */
  authOf(target: object): AuthContext | undefined {
    return (target as Record<string, AuthContext | undefined>)[this.property];
  }

  /**
   * The core's per-call context: the request's own logger when the app has one (pino's
   * `req.log`, `ctx.log`, `request.log`), and a per-route `optional`. Without a logger no
   * object is built per request.
   */
  callContext(
    log: unknown,
    optional?: boolean,
    requirements?: Requirements,
  ): CallContext | undefined {
    const requestLog = requestLogOf(log);
    if (requirements !== undefined) {
      // A route known when the guard authenticates: its requirement is checked in one order
      // with the guard-wide one (see `checksRouteRequirements`).
      return { ...(requestLog === undefined ? {} : { log: requestLog }), optional, requirements };
    }
    if (requestLog === undefined) {
      return optional === undefined ? undefined : optional ? OPTIONAL : REQUIRED;
    }
    return optional === undefined ? { log: requestLog } : { log: requestLog, optional };
  }

  /** The answer to a refusal: the guard's status and headers, our or the app's body. */
  answer(error: unknown, request: RequestLike): Answer {
    const response = this.guard.errorResponse(error);
    // `errorResponse` builds a fresh headers object per call.
    const headers = response.headers;
    if (this.#onError !== undefined) {
      const refusal = isTokenGuardError(error) ? error : new ServerError({ cause: error });
      let formatted: unknown;
      try {
        formatted = this.#onError(refusal, request);
      } catch (cause) {
        formatted = cause;
      }
      const usable = checkFormatted(formatted);
      if (usable !== undefined) {
        headers['content-type'] = usable.contentType;
        const body = typeof usable.body === 'string' ? usable.body : JSON.stringify(usable.body);
        return { status: response.status, headers, body };
      }
      this.#logger.error('tokenguard: onError failed or returned no { contentType, body }');
    }
    headers['content-type'] = JSON_CONTENT_TYPE;
    return { status: response.status, headers, body: JSON.stringify(response.body) };
  }

  /**
   * A refusal for frameworks whose error handling takes a thrown error: the answer to
   * write, or (with `passErrors`) throws the error for the framework's handler.
   */
  refuse(error: unknown, request: RequestLike): Answer {
    if (this.passErrors) throw this.passed(error);
    return this.answer(error, request);
  }

  /**
   * The error handed to the framework with `passErrors`. Frameworks render `message` when
   * `expose` is true (Koa, http-errors) and print `stack` in development (Express): a 5xx
   * is handed on as a view whose message is the fixed public description and whose
   * `expose` is false; the detail stays on the non-enumerable `detail`, and the original
   * (for `instanceof`, `cause`, `code`) is its prototype.
   */
  passed(error: unknown): unknown {
    if (!(error instanceof TokenGuardError) || error.status < 500) return error;
    const view = Object.create(error) as TokenGuardError;
    const hidden = (value: unknown) => ({ value, enumerable: false, configurable: true });
    const frames = error.stack?.indexOf('\n    at ') ?? -1;
    Object.defineProperties(view, {
      message: hidden(error.description),
      detail: hidden(error.message),
      expose: hidden(false),
      stack: hidden(
        `${error.name}: ${error.description}${frames === -1 ? '' : error.stack?.slice(frames)}`,
      ),
    });
    return view;
  }

  /**
   * Startup: resolves once lazy configuration (discovery) succeeded. A configuration the
   * identity service contradicts (an issuer mismatch) rejects, and an owned guard is
   * closed; an outage only warns, since the guard retries per request (503 meanwhile).
   */
  async ready(log?: unknown): Promise<void> {
    try {
      await this.guard.ready();
    } catch (error) {
      if (error instanceof TokenGuardConfigError) {
        await this.close();
        throw error;
      }
      const message = `tokenguard: discovery failed at startup, will retry: ${
        error instanceof Error ? error.message : String(error)
      }`;
      const requestLog = requestLogOf(log);
      if (requestLog === undefined) this.#logger.warn(message);
      else requestLog.warn({}, message);
    }
  }

  /** Closes the guard if this adapter built it; a shared guard is its owner's to close. */
  async close(): Promise<void> {
    if (this.owned) await this.guard.close();
  }
}

/** The adapter whose middleware tagged `target`, if any. */
export function adapterOf(target: object): Adapter | undefined {
  return (target as Record<symbol, Adapter | undefined>)[kAdapter];
}

/**
 * Builds an adapter from what the app passed: guard options with adapter options mixed in
 * (`tokenGuard({ introspection, passErrors })`), a prebuilt guard and adapter options
 * (`tokenGuard(guard, { passErrors })`), or one object naming a prebuilt `guard`
 * (Fastify's `register(tokenGuard, { guard, passErrors })`). `frameworkKeys` are taken out
 * too and handed back on `frameworkOptions`; `ignoredKeys` are dropped (Fastify's
 * `prefix`). Every option is checked here: a bad one throws `TokenGuardConfigError`.
 */
export function createAdapter(
  input: object,
  adapterOptions: AdapterOptions<string> = {},
  frameworkKeys: readonly string[] = [],
  ignoredKeys: readonly string[] = [],
): Adapter {
  if (isGuard(input)) {
    const rest: Record<string, unknown> = { ...adapterOptions };
    const framework = take(rest, frameworkKeys);
    return new Adapter(input, false, normalizeAdapterOptions(rest), framework);
  }
  if (typeof input !== 'object' || input === null) {
    throw new TokenGuardConfigError('options', 'must be an object or a guard');
  }
  const rest: Record<string, unknown> = { ...input };
  // Adapter options first: a typo there must not leave a built guard behind.
  const settings = normalizeAdapterOptions(take(rest, ADAPTER_OPTION_KEYS));
  const framework = take(rest, frameworkKeys);
  for (const key of ignoredKeys) delete rest[key];
  if ('guard' in rest) {
    const { guard, ...others } = rest;
    if (Object.keys(others).length > 0) {
      throw new TokenGuardConfigError(
        'guard',
        'cannot be combined with guard options (pass them to createGuard)',
      );
    }
    if (!isGuard(guard)) throw new TokenGuardConfigError('guard', 'must be a TokenGuard');
    return new Adapter(guard, false, settings, framework);
  }
  return new Adapter(createGuard(rest as GuardOptions), true, settings, framework);
}

function take(from: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const taken: Record<string, unknown> = {};
  for (const key of keys) {
    if (key in from) {
      taken[key] = from[key];
      delete from[key];
    }
  }
  return taken;
}
