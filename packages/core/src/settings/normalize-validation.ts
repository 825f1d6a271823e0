/**
 * One issuer's validation settings, shared by the single-issuer options and each entry of
 * `issuers`: which strategy validates its tokens (introspection, local JWT or both) and the
 * introspection settings that strategy needs.
 */
import type { NormalizedClientAuth } from '../client-auth/client-auth-types.js';
import { normalizeClientAuth } from '../client-auth/normalize-client-auth.js';
import { TokenGuardConfigError } from '../errors.js';
import type { NormalizedJwtOptions } from '../jwt/normalize-jwt-options.js';
import { type CallBounds, normalizeCallBounds } from '../options/call-bounds.js';
import { DEFAULTS } from '../options/defaults.js';
import { optionKeys } from '../options/option-keys.js';
import type { IntrospectionOptions } from '../options/types.js';
import {
  checkEndpointUrl,
  checkKnownKeys,
  checkObject,
  isPlainObject,
  optionalBoolean,
  optionalInteger,
  optionalStringList,
} from '../options/validators.js';

export interface NormalizedIntrospection {
  readonly endpoint: URL | undefined;
  readonly clientAuth: NormalizedClientAuth | undefined;
  /** Deadline of one introspection call (`introspection.http`, else the client's), in ms. */
  readonly timeoutMs: number;
  /** Largest accepted introspection answer, in bytes. */
  readonly maxResponseBytes: number;
  readonly maxConcurrent: number;
  readonly queueTimeoutMs: number;
  readonly breakerThreshold: number;
  readonly breakerCooldownMs: number;
  /** Audiences an answer's `aud` must include (RFC 7662 §2.2); default the JWT audience. */
  readonly audience: readonly string[] | undefined;
  /** Refuse answers without `aud` (needs `audience`). */
  readonly requireAudience: boolean;
}

/** The validation strategy with exactly the settings it needs, as normalisation proved them. */
export type NormalizedValidation =
  | { readonly strategy: 'introspection'; readonly introspection: NormalizedIntrospection }
  | { readonly strategy: 'jwt'; readonly jwt: NormalizedJwtOptions }
  | {
      readonly strategy: 'auto';
      readonly introspection: NormalizedIntrospection;
      readonly jwt: NormalizedJwtOptions;
    };

const INTROSPECTION_KEYS = optionKeys<IntrospectionOptions>({
  endpoint: true,
  clientAuth: true,
  http: true,
  maxConcurrent: true,
  queueTimeoutMs: true,
  breakerThreshold: true,
  breakerCooldownMs: true,
  audience: true,
  requireAudClaim: true,
});

/** `strategy`, checked: one of the three, or `undefined` (inferred from what is configured). */
export function checkStrategy(value: unknown): 'introspection' | 'jwt' | 'auto' | undefined {
  if (value !== undefined && value !== 'introspection' && value !== 'jwt' && value !== 'auto') {
    throw new TokenGuardConfigError('strategy', "must be 'introspection', 'jwt' or 'auto'");
  }
  return value;
}

export function chooseStrategy(
  raw: unknown,
  introspection: NormalizedIntrospection | undefined,
  jwt: NormalizedJwtOptions | undefined,
): NormalizedValidation {
  const value = checkStrategy(raw);
  const needsIntrospection = value === 'introspection' || value === 'auto';
  const needsJwt = value === 'jwt' || value === 'auto';
  if (needsIntrospection && introspection === undefined) {
    throw new TokenGuardConfigError('introspection', `is required by strategy '${value}'`);
  }
  if (needsJwt && jwt === undefined)
    throw new TokenGuardConfigError('jwt', `is required by strategy '${value}'`);
  if (introspection !== undefined && jwt !== undefined && (value ?? 'auto') === 'auto') {
    return { strategy: 'auto', introspection, jwt };
  }
  if (jwt !== undefined && value !== 'introspection') return { strategy: 'jwt', jwt };
  if (introspection !== undefined) return { strategy: 'introspection', introspection };
  throw new TokenGuardConfigError('introspection', 'or `jwt` must be configured');
}

/** The audience the user gave the JWT options (not one filled in from the resource). */
export function jwtAudienceOf(
  rawJwt: unknown,
  jwt: { readonly audience?: readonly string[] | undefined } | undefined,
): readonly string[] | undefined {
  return isPlainObject(rawJwt) && rawJwt.audience !== undefined ? jwt?.audience : undefined;
}

/**
 * `introspection`, checked. Its audience defaults to the JWT audience the user gave, else to
 * the RFC 9728 `resource` identifier; in that last case answers without `aud` are refused
 * too (a token that names no audience was not issued for this resource), unless
 * `requireAudClaim: false` says otherwise.
 */
export function normalizeIntrospection(
  value: unknown,
  allowInsecureHttp: boolean,
  hasIssuer: boolean,
  jwtAudience: readonly string[] | undefined,
  resource: string | undefined,
  client: CallBounds,
): NormalizedIntrospection {
  const raw = checkObject(value, 'introspection');
  checkKnownKeys(raw, INTROSPECTION_KEYS, 'introspection');
  if (raw.endpoint === undefined && !hasIssuer) {
    throw new TokenGuardConfigError(
      'introspection.endpoint',
      'is required unless `issuer` is set for discovery',
    );
  }
  const byResource =
    raw.audience === undefined && jwtAudience === undefined && resource !== undefined;
  const audience =
    optionalStringList(raw.audience, 'introspection.audience') ??
    (byResource ? Object.freeze([resource]) : jwtAudience);
  const requireAudience = optionalBoolean(
    raw.requireAudClaim,
    'introspection.requireAudClaim',
    byResource,
  );
  if (requireAudience && audience === undefined) {
    throw new TokenGuardConfigError(
      'introspection.requireAudClaim',
      'needs `introspection.audience` (or `jwt.audience`)',
    );
  }
  return Object.freeze({
    endpoint:
      raw.endpoint === undefined
        ? undefined
        : checkEndpointUrl(raw.endpoint, 'introspection.endpoint', allowInsecureHttp),
    clientAuth:
      raw.clientAuth === undefined
        ? undefined
        : normalizeClientAuth(raw.clientAuth, 'introspection.clientAuth', { allowInsecureHttp }),
    ...normalizeCallBounds(raw.http, 'introspection.http', client),
    maxConcurrent: optionalInteger(
      raw.maxConcurrent,
      'introspection.maxConcurrent',
      DEFAULTS.maxConcurrent,
      {
        min: 1,
        max: 100_000,
      },
    ),
    queueTimeoutMs: optionalInteger(
      raw.queueTimeoutMs,
      'introspection.queueTimeoutMs',
      DEFAULTS.queueTimeoutMs,
      {
        max: 60_000,
      },
    ),
    breakerThreshold: optionalInteger(
      raw.breakerThreshold,
      'introspection.breakerThreshold',
      DEFAULTS.breakerThreshold,
      {
        max: 100_000,
      },
    ),
    breakerCooldownMs: optionalInteger(
      raw.breakerCooldownMs,
      'introspection.breakerCooldownMs',
      DEFAULTS.breakerCooldownMs,
      {
        min: 1,
        max: 600_000,
      },
    ),
    audience,
    requireAudience,
  });
}
