import type { CacheStore } from '../cache/cache-store.js';
import { TokenGuardConfigError } from '../errors.js';
import type { OutboundSettings } from '../internal/http-client.js';
import { type NormalizedJwtOptions, normalizeJwtOptions } from '../jwt/normalize-jwt-options.js';
import { consoleLogger } from '../options/console-logger.js';
import { DEFAULTS } from '../options/defaults.js';
import { optionKeys } from '../options/option-keys.js';
import { resourceIdentifier, withResourceAudience } from '../options/resource-audience.js';
import type {
  CacheOptions,
  CertificateSource,
  GuardOptions,
  JwtOptions,
  TokenOptions,
} from '../options/types.js';
import {
  checkIssuerUrl,
  checkKnownKeys,
  checkObject,
  isLoopbackUrl,
  optionalBoolean,
  optionalInteger,
  optionalString,
} from '../options/validators.js';
import {
  type NormalizedRequirements,
  normalizeRequirements,
} from '../policy/normalize-requirements.js';
import {
  createResourceMetadata,
  type ResourceMetadata,
} from '../resource-metadata/create-resource-metadata.js';
import {
  type NormalizedDpop,
  normalizeDpopOption,
  normalizeMtlsOption,
} from '../sender-constraint/normalize-sender-constraint-options.js';
import type { ExtractionSettings } from '../token/extract-bearer-token.js';
import { normalizeTokenLocations } from '../token/normalize-token-locations.js';
import type { TokenGuardLogger } from '../types.js';
import { createNamespace } from './create-namespace.js';
import { normalizeHttp } from './normalize-http.js';
import {
  type IssuerContext,
  type NormalizedIssuer,
  type NormalizedIssuers,
  normalizeIssuers,
  singleIssuerTable,
} from './normalize-issuers.js';
import {
  chooseStrategy,
  jwtAudienceOf,
  type NormalizedIntrospection,
  type NormalizedValidation,
  normalizeIntrospection,
} from './normalize-validation.js';

export interface NormalizedCache {
  /** The shared tier, if any. */
  readonly store: CacheStore | undefined;
  readonly maxEntries: number;
  readonly maxInactiveEntries: number;
  readonly maxTtlMs: number;
  readonly inactiveTtlMs: number;
  readonly staleIfErrorMs: number;
  readonly storeTimeoutMs: number;
  readonly namespace: string | undefined;
}

export interface NormalizedConfig {
  readonly realm: string;
  readonly issuer: string | undefined;
  /** `undefined` with several issuers (each has its own). */
  readonly strategy: 'introspection' | 'jwt' | 'auto' | undefined;
  /** The same strategy as a union carrying its settings (what the guard wires); `undefined` with several issuers. */
  readonly validation: NormalizedValidation | undefined;
  /**
   * The issuers: those of `issuers` / `resolveIssuer`, or a table of one (`catchAll`) built
   * from `issuer`, `strategy`, `introspection` and `jwt`.
   */
  readonly issuers: NormalizedIssuers;
  /** The single issuer's; `undefined` with several issuers (each entry has its own, inherited key by key). */
  readonly introspection: NormalizedIntrospection | undefined;
  /** The single issuer's; `undefined` with several issuers (as `introspection`). */
  readonly jwt: NormalizedJwtOptions | undefined;
  readonly cache: NormalizedCache | undefined;
  /** How outbound calls are sent (`fetch` undefined: the default transport). */
  readonly http: OutboundSettings;
  readonly extraction: ExtractionSettings;
  readonly clockToleranceSec: number;
  readonly allowInsecureHttp: boolean;
  readonly optional: boolean;
  readonly requirements: NormalizedRequirements;
  readonly logger: TokenGuardLogger;
  /** Send each refusal reason's fixed text as `error_description`. */
  readonly errorDescriptions: boolean;
  /** Let CORS preflights through without a token. */
  readonly passCorsPreflight: boolean;
  /** The RFC 9728 document, when configured. */
  readonly resourceMetadata: ResourceMetadata | undefined;
  /** RFC 9449: proof settings and mode (`disabled` unless set). */
  readonly dpop: NormalizedDpop;
  /** RFC 8705 §3: where the client certificate comes from; `undefined` refuses cert-bound tokens. */
  readonly mtls: { readonly certificateFrom: CertificateSource } | undefined;
  /** Fingerprint of the validation settings: part of every cache key (the issuers' table). */
  readonly namespace: string;
}

const GUARD_KEYS = optionKeys<GuardOptions>({
  realm: true,
  issuer: true,
  strategy: true,
  introspection: true,
  jwt: true,
  http: true,
  cache: true,
  token: true,
  passCorsPreflight: true,
  resourceMetadata: true,
  issuers: true,
  resolveIssuer: true,
  selectIssuer: true,
  maxIssuers: true,
  maxNewIssuersPerSec: true,
  clockToleranceSec: true,
  allowInsecureHttp: true,
  optional: true,
  scopes: true,
  anyScope: true,
  brand: true,
  predicate: true,
  authContext: true,
  logger: true,
  errorDescriptions: true,
  dpop: true,
  mtls: true,
});

const TOKEN_KEYS = optionKeys<TokenOptions>({
  maxHeaderBytes: true,
  body: true,
  query: true,
  cookie: true,
  cookieOnUnsafeMethods: true,
  getToken: true,
});

const CACHE_KEYS = optionKeys<CacheOptions>({
  store: true,
  maxEntries: true,
  maxInactiveEntries: true,
  maxTtlMs: true,
  inactiveTtlMs: true,
  staleIfErrorMs: true,
  storeTimeoutMs: true,
  namespace: true,
});

/**
 * A pino logger (pino itself, Fastify's `app.log`) takes `(object, message)`: called the
 * console way its detail object would be read as a format argument and dropped. Recognised
 * by `child()` and `bindings()`, which pino loggers have and console-like ones do not.
 */
function isPinoLike(logger: Record<string, unknown>): boolean {
  return typeof logger.child === 'function' && typeof logger.bindings === 'function';
}

export function normalizeOptions(options: GuardOptions): NormalizedConfig {
  const raw = checkObject(options, 'options');
  checkKnownKeys(raw, GUARD_KEYS, '');
  const allowInsecureHttp = optionalBoolean(raw.allowInsecureHttp, 'allowInsecureHttp', false);
  const clockToleranceSec = optionalInteger(
    raw.clockToleranceSec,
    'clockToleranceSec',
    DEFAULTS.clockToleranceSec,
    {
      max: 600,
    },
  );
  const realm = optionalString(raw.realm, 'realm') ?? DEFAULTS.realm;
  const issuer =
    raw.issuer === undefined
      ? undefined
      : checkIssuerUrl(raw.issuer, 'issuer', allowInsecureHttp) && (raw.issuer as string);
  const logger = normalizeLogger(raw.logger);

  // Several issuers: `strategy`, `introspection` and `jwt` are what every entry inherits.
  const cache = normalizeCache(raw.cache);
  const http = normalizeHttp(raw.http);
  // With RFC 9728 metadata and no audience of its own, the resource expects its identifier.
  const resource = resourceIdentifier(raw.resourceMetadata);
  const issuerContext = {
    clockToleranceSec,
    allowInsecureHttp,
    explicitNamespace: cache?.namespace,
    sharedStore: cache?.store !== undefined,
    resource,
    inherited: { http: raw.http },
  };
  const several =
    raw.issuers === undefined && raw.resolveIssuer === undefined
      ? undefined
      : normalizeIssuers(raw, issuerContext);
  if (several === undefined) {
    for (const key of ['selectIssuer', 'maxIssuers', 'maxNewIssuersPerSec'] as const) {
      if (raw[key] !== undefined) {
        throw new TokenGuardConfigError(key, 'needs `issuers` or `resolveIssuer`');
      }
    }
  }
  const jwt =
    raw.jwt === undefined || several !== undefined
      ? undefined
      : normalizeJwtOptions(
          withResourceAudience(raw.jwt, resource) as JwtOptions,
          { issuer, clockToleranceSec, allowInsecureHttp, http },
          'jwt',
        );
  const introspection =
    raw.introspection === undefined || several !== undefined
      ? undefined
      : normalizeIntrospection(
          raw.introspection,
          allowInsecureHttp,
          issuer !== undefined,
          jwtAudienceOf(raw.jwt, jwt),
          resource,
          http,
        );
  // One issuer is a table of one: the guard wires one issuer and many the same way.
  const issuers =
    several ??
    singleIssuerTable(
      singleIssuer(raw.strategy, { issuer, introspection, jwt, ...issuerContext, outbound: http }),
      issuerContext,
    );
  const validation = issuers.catchAll ? issuers.entries[0]?.validation : undefined;
  const strategy = validation?.strategy;

  const dpop = normalizeDpopOption(raw.dpop);
  const mtls = normalizeMtlsOption(raw.mtls);
  const token = raw.token === undefined ? {} : checkObject(raw.token, 'token');
  checkKnownKeys(token, TOKEN_KEYS, 'token');
  const extraction: ExtractionSettings = Object.freeze({
    realm,
    allowDpopScheme: dpop.mode !== 'disabled',
    ...normalizeTokenLocations(token),
  });
  if (extraction.allowQueryToken) {
    logger.warn(
      'tokenguard: token.query is on: tokens in URLs end up in access logs and browser history (RFC 6750 §5.3)',
    );
  }
  if (extraction.cookieOnUnsafeMethods === true) {
    logger.warn(
      'tokenguard: token.cookieOnUnsafeMethods is on: cross-site requests carry the cookie; make sure a CSRF defence is in place',
    );
  }
  warnAboutPlainHttp(logger, introspection?.endpoint, issuer);
  const resourceMetadata =
    raw.resourceMetadata === undefined
      ? undefined
      : createResourceMetadata(raw.resourceMetadata, {
          issuers:
            several?.entries.map((entry) => entry.issuer as string) ??
            (issuer === undefined ? [] : [issuer]),
          bearerMethods: [
            'header',
            ...(extraction.allowBodyToken ? (['body'] as const) : []),
            ...(extraction.allowQueryToken ? (['query'] as const) : []),
          ],
          allowInsecureHttp,
          // RFC 9728 §2 / RFC 9449 §5.1: what sender-constrained tokens the resource takes.
          dpopAlgorithms: dpop.mode === 'disabled' ? undefined : dpop.algorithms,
          dpopRequired: dpop.mode === 'required',
          certificateBound: mtls !== undefined,
        });

  const config: NormalizedConfig = {
    realm,
    issuer,
    strategy,
    validation,
    issuers,
    introspection,
    jwt,
    cache,
    http,
    extraction,
    clockToleranceSec,
    allowInsecureHttp,
    optional: optionalBoolean(raw.optional, 'optional', false),
    passCorsPreflight: optionalBoolean(raw.passCorsPreflight, 'passCorsPreflight', false),
    resourceMetadata,
    namespace: issuers.namespace,
    requirements: normalizeRequirements(
      {
        scopes: raw.scopes,
        anyScope: raw.anyScope,
        brand: raw.brand,
        predicate: raw.predicate,
        authContext: raw.authContext,
      } as never,
      '',
    ),
    logger,
    errorDescriptions: optionalBoolean(raw.errorDescriptions, 'errorDescriptions', false),
    dpop,
    mtls,
  };
  return Object.freeze(config);
}

/**
 * The one issuer of a guard without `issuers`. Everything that decides validity goes into
 * its cache namespace, so guards sharing a store with different settings never serve each
 * other's results.
 */
function singleIssuer(
  strategy: unknown,
  settings: IssuerContext & {
    readonly issuer: string | undefined;
    readonly introspection: NormalizedIntrospection | undefined;
    readonly jwt: NormalizedJwtOptions | undefined;
    /** The guard's `http`, which sends this issuer's calls. */
    readonly outbound: OutboundSettings;
  },
): NormalizedIssuer {
  const { issuer, introspection, jwt, clockToleranceSec, allowInsecureHttp } = settings;
  const validation = chooseStrategy(strategy, introspection, jwt);
  const namespace = createNamespace({
    strategy: validation.strategy,
    issuer,
    clockToleranceSec,
    introspection: introspection as Readonly<Record<string, unknown>> | undefined,
    jwt,
    explicit: settings.explicitNamespace,
    sharedStore: settings.sharedStore,
  });
  return {
    issuer,
    validation,
    namespace,
    clockToleranceSec,
    allowInsecureHttp,
    http: settings.outbound,
  };
}

function normalizeCache(value: unknown): NormalizedCache | undefined {
  if (value === false) return undefined;
  const raw = value === undefined ? {} : checkObject(value, 'cache');
  checkKnownKeys(raw, CACHE_KEYS, 'cache');
  const store = raw.store as CacheStore | undefined;
  if (store !== undefined && (typeof store.get !== 'function' || typeof store.set !== 'function')) {
    throw new TokenGuardConfigError('cache.store', 'must have get(key) and set(key, value, ttlMs)');
  }
  const maxEntries = optionalInteger(raw.maxEntries, 'cache.maxEntries', DEFAULTS.cacheMaxEntries, {
    min: 1,
    max: 10_000_000,
  });
  const namespace = optionalString(raw.namespace, 'cache.namespace');
  return Object.freeze({
    store,
    maxEntries,
    maxInactiveEntries: optionalInteger(
      raw.maxInactiveEntries,
      'cache.maxInactiveEntries',
      Math.max(1, Math.floor(maxEntries / 10)),
      { min: 1, max: 10_000_000 },
    ),
    maxTtlMs: optionalInteger(raw.maxTtlMs, 'cache.maxTtlMs', DEFAULTS.cacheMaxTtlMs, {
      min: 1,
      max: 86_400_000,
    }),
    inactiveTtlMs: optionalInteger(
      raw.inactiveTtlMs,
      'cache.inactiveTtlMs',
      DEFAULTS.cacheInactiveTtlMs,
      { max: 3_600_000 },
    ),
    staleIfErrorMs: optionalInteger(raw.staleIfErrorMs, 'cache.staleIfErrorMs', 0, {
      max: 86_400_000,
    }),
    storeTimeoutMs: optionalInteger(
      raw.storeTimeoutMs,
      'cache.storeTimeoutMs',
      DEFAULTS.cacheStoreTimeoutMs,
      { min: 1, max: 60_000 },
    ),
    namespace,
  });
}

function normalizeLogger(value: unknown): TokenGuardLogger {
  if (value === undefined) return consoleLogger;
  const logger = checkObject(value, 'logger');
  const { warn, error } = logger;
  if (typeof warn !== 'function' || typeof error !== 'function') {
    throw new TokenGuardConfigError('logger', 'must have warn() and error() methods');
  }
  if (!isPinoLike(logger)) return logger as unknown as TokenGuardLogger;
  return {
    warn: (message, detail) => warn.call(logger, detail ?? {}, message),
    error: (message, detail) => error.call(logger, detail ?? {}, message),
  };
}

function warnAboutPlainHttp(
  logger: TokenGuardLogger,
  endpoint: URL | undefined,
  issuer: string | undefined,
): void {
  for (const url of [endpoint, issuer === undefined ? undefined : new URL(issuer)]) {
    if (url?.protocol === 'http:' && !isLoopbackUrl(url)) {
      logger.warn(
        `tokenguard: plain-http endpoint ${url.origin}: tokens and credentials travel unencrypted`,
      );
    }
  }
}
