/**
 * Checks the many-issuer options once, at construction: each entry like a guard of its own
 * (strategy, introspection, JWT) over the guard's own `strategy`, `jwt`, `introspection` and
 * `http`, which every entry inherits key by key; all issuers distinct, the functions really
 * functions.
 */

import { TokenGuardConfigError } from '../errors.js';
import type { OutboundSettings } from '../internal/http-client.js';
import { normalizeJwtOptions } from '../jwt/normalize-jwt-options.js';
import { DEFAULTS } from '../options/defaults.js';
import { optionKeys } from '../options/option-keys.js';
import { withResourceAudience } from '../options/resource-audience.js';
import type {
  IssuerOptions,
  IssuerResolver,
  IssuerSelector,
  JwtOptions,
} from '../options/types.js';
import {
  checkIssuerUrl,
  checkKnownKeys,
  checkObject,
  optionalInteger,
} from '../options/validators.js';
import { createNamespace } from './create-namespace.js';
import { fingerprintSettings } from './fingerprint-settings.js';
import { inheritGroup, isInheritedOption } from './inherit-options.js';
import { normalizeHttp } from './normalize-http.js';
import {
  checkStrategy,
  chooseStrategy,
  jwtAudienceOf,
  type NormalizedValidation,
  normalizeIntrospection,
} from './normalize-validation.js';

/** One issuer, as the guard wires it. */
export interface NormalizedIssuer {
  /**
   * The issuer identifier; `undefined` only for a single-issuer guard that names none (its
   * endpoints and keys are given, a JWT's expected `iss` comes from `jwt.issuer`).
   */
  readonly issuer: string | undefined;
  readonly validation: NormalizedValidation;
  /** This issuer's cache namespace: everything that decides its verdicts. */
  readonly namespace: string;
  readonly clockToleranceSec: number;
  readonly allowInsecureHttp: boolean;
  /**
   * Fetch the issuer's metadata at `ready()` and report discovery in `health()` even when
   * every endpoint is given: a single-issuer guard that names `issuer` checks it against the
   * metadata at startup (RFC 8414 §3.3). Entries of `issuers` discover only what they need.
   */
  readonly alwaysDiscover?: boolean;
  /** How this issuer's calls are sent: its own `http` over the guard's. */
  readonly http: OutboundSettings;
}

export interface NormalizedIssuers {
  /** The configured issuers, in the order opaque tokens are tried. */
  readonly entries: readonly NormalizedIssuer[];
  /**
   * A single-issuer guard: its one entry validates every token (there is nothing to choose,
   * so a token's `iss` is checked by that issuer's own rules, never used to route).
   */
  readonly catchAll: boolean;
  readonly resolveIssuer: IssuerResolver | undefined;
  readonly selectIssuer: IssuerSelector | undefined;
  /** Most resolved issuers held at once (their metadata, keys and pools), per segment. */
  readonly maxIssuers: number;
  /** Most new issuers `resolveIssuer` may set up per second. */
  readonly maxNewIssuersPerSec: number;
  /** The namespace of results found by trying issuers in order. */
  readonly namespace: string;
  /** The guard's settings, for entries `resolveIssuer` returns later. */
  readonly context: IssuerContext;
}

export interface IssuerContext {
  readonly clockToleranceSec: number;
  readonly allowInsecureHttp: boolean;
  /** `cache.namespace`, mixed into every issuer's namespace. */
  readonly explicitNamespace: string | undefined;
  /** Whether a shared store is configured (see `createNamespace`). */
  readonly sharedStore: boolean;
  /** The RFC 9728 resource identifier: the audience of entries that name none. */
  readonly resource?: string | undefined;
  /**
   * The guard's own option groups every entry inherits key by key (see inherit-options.ts):
   * `http` (checked as the guard's), and with several issuers `strategy`, `jwt` and
   * `introspection`, checked in full with each entry.
   */
  readonly inherited: Readonly<Record<string, unknown>>;
}

const ENTRY_KEYS = optionKeys<IssuerOptions>({
  issuer: true,
  strategy: true,
  introspection: true,
  jwt: true,
  http: true,
});

export function normalizeIssuers(
  raw: Record<string, unknown>,
  guard: IssuerContext,
): NormalizedIssuers {
  // `issuer` names one issuer; `jwt.issuer` is each entry's `issuer`.
  if (raw.issuer !== undefined) {
    throw new TokenGuardConfigError(
      'issuer',
      'names a single issuer: with `issuers` / `resolveIssuer` each entry names its own `issuer`',
    );
  }
  const jwt = raw.jwt === undefined ? undefined : checkObject(raw.jwt, 'jwt');
  if (jwt?.issuer !== undefined) {
    throw new TokenGuardConfigError(
      'jwt.issuer',
      'cannot be combined with `issuers` / `resolveIssuer`: each entry’s `issuer` is its JWT issuer',
    );
  }
  const introspection =
    raw.introspection === undefined ? undefined : checkObject(raw.introspection, 'introspection');
  // An opaque token names no issuer (RFC 7662 §2.2 answers need not carry `iss`): the entry
  // that asked is the issuer the auth context names. One endpoint shared by every entry would
  // let the first entry claim every tenant's tokens, so the endpoint stays per entry.
  if (introspection?.endpoint !== undefined) {
    throw new TokenGuardConfigError(
      'introspection.endpoint',
      'cannot be shared by `issuers` / `resolveIssuer`: set it on each entry (or let discovery find it)',
    );
  }
  const context: IssuerContext = {
    ...guard,
    inherited: Object.freeze({
      ...guard.inherited,
      strategy: checkStrategy(raw.strategy),
      jwt,
      introspection,
    }),
  };
  const list = raw.issuers ?? [];
  if (!Array.isArray(list)) throw new TokenGuardConfigError('issuers', 'must be a list');
  const resolveIssuer = raw.resolveIssuer;
  if (resolveIssuer !== undefined && typeof resolveIssuer !== 'function') {
    throw new TokenGuardConfigError('resolveIssuer', 'must be a function (iss, request)');
  }
  if (list.length === 0 && resolveIssuer === undefined) {
    throw new TokenGuardConfigError('issuers', 'must name at least one issuer');
  }
  const selectIssuer = raw.selectIssuer;
  if (selectIssuer !== undefined && typeof selectIssuer !== 'function') {
    throw new TokenGuardConfigError('selectIssuer', 'must be a function of the request');
  }
  const entries = list.map((entry, index) =>
    normalizeIssuerEntry(entry, `issuers[${index}]`, context),
  );
  const seen = new Set<string | undefined>();
  entries.forEach((entry, index) => {
    if (seen.has(entry.issuer)) {
      throw new TokenGuardConfigError(`issuers[${index}].issuer`, 'is listed twice');
    }
    seen.add(entry.issuer);
  });
  return Object.freeze({
    entries: Object.freeze(entries),
    catchAll: false,
    resolveIssuer: resolveIssuer as IssuerResolver | undefined,
    selectIssuer: selectIssuer as IssuerSelector | undefined,
    maxIssuers: optionalInteger(raw.maxIssuers, 'maxIssuers', DEFAULTS.maxIssuers, {
      min: 1,
      max: 100_000,
    }),
    maxNewIssuersPerSec: optionalInteger(
      raw.maxNewIssuersPerSec,
      'maxNewIssuersPerSec',
      DEFAULTS.maxNewIssuersPerSec,
      { min: 1, max: 100_000 },
    ),
    namespace: fingerprintSettings({
      issuers: entries.map((entry) => entry.namespace),
      explicit: context.explicitNamespace,
    }),
    context,
  });
}

/**
 * One issuer entry (from the list, or returned by `resolveIssuer`) over the guard's own
 * groups, checked like a guard's own options; errors name the path the user wrote:
 * the entry's (`issuers[1].jwt.audience`), or the guard's for an inherited value
 * (`jwt.audience`).
 */
export function normalizeIssuerEntry(
  value: unknown,
  path: string,
  context: IssuerContext,
): NormalizedIssuer {
  try {
    return normalizeEntry(value, context);
  } catch (error) {
    if (!(error instanceof TokenGuardConfigError)) throw error;
    if (isInheritedOption(error.option, value, context.inherited)) throw error;
    const expected = error.message.replace(/^tokenguard: option `[^`]*` /, '');
    throw new TokenGuardConfigError(
      error.option === '' ? path : `${path}.${error.option}`,
      expected,
    );
  }
}

function normalizeEntry(value: unknown, context: IssuerContext): NormalizedIssuer {
  const raw = checkObject(value, '');
  checkKnownKeys(raw, ENTRY_KEYS, '');
  const issuer =
    checkIssuerUrl(raw.issuer, 'issuer', context.allowInsecureHttp) && (raw.issuer as string);
  const { clockToleranceSec, allowInsecureHttp, inherited } = context;
  const http = normalizeHttp(raw.http, 'http', inherited.http as Record<string, unknown>);
  if (raw.jwt !== undefined && checkObject(raw.jwt, 'jwt').issuer !== undefined) {
    throw new TokenGuardConfigError('jwt.issuer', 'is the entry’s `issuer`; leave it out');
  }
  const jwtOptions = inheritGroup(raw.jwt, inherited.jwt, 'jwt');
  const jwt =
    jwtOptions === undefined
      ? undefined
      : normalizeJwtOptions(
          withResourceAudience(jwtOptions, context.resource) as JwtOptions,
          { issuer, clockToleranceSec, allowInsecureHttp, http },
          'jwt',
        );
  const introspectionOptions = inheritGroup(
    raw.introspection,
    inherited.introspection,
    'introspection',
  );
  const introspection =
    introspectionOptions === undefined
      ? undefined
      : normalizeIntrospection(
          introspectionOptions,
          allowInsecureHttp,
          true,
          jwtAudienceOf(jwtOptions, jwt),
          context.resource,
          http,
        );
  const validation = chooseStrategy(raw.strategy ?? inherited.strategy, introspection, jwt);
  // The same fingerprint a single-issuer guard of these settings has: the issuer, its
  // endpoints and keys, and who we are to it.
  const namespace = createNamespace({
    strategy: validation.strategy,
    issuer,
    clockToleranceSec,
    introspection: introspection as Readonly<Record<string, unknown>> | undefined,
    jwt,
    explicit: context.explicitNamespace,
    sharedStore: context.sharedStore,
  });
  return Object.freeze({
    issuer,
    validation,
    namespace,
    clockToleranceSec,
    allowInsecureHttp,
    http,
  });
}

/**
 * A single-issuer guard as a table of one: the same issuer unit, router and cache path as
 * several issuers, with the one entry taking every token under the guard's own namespace.
 */
export function singleIssuerTable(
  entry: Omit<NormalizedIssuer, 'alwaysDiscover'>,
  context: IssuerContext,
): NormalizedIssuers {
  return Object.freeze({
    entries: Object.freeze([Object.freeze({ ...entry, alwaysDiscover: true })]),
    catchAll: true,
    resolveIssuer: undefined,
    selectIssuer: undefined,
    maxIssuers: 1,
    maxNewIssuersPerSec: 1,
    namespace: entry.namespace,
    context,
  });
}
