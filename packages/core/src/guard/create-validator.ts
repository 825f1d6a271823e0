/**
 * The validation strategy: introspection (RFC 7662), local JWT (RFC 9068), or `auto`
 * (tokens with two or more dots locally, compact JWE and opaque tokens by introspection; see
 * is-jwt-routed.ts), each built from exactly the settings normalisation proved it has. A
 * token verdict is a result; an outage throws.
 */
import { randomBytes } from 'node:crypto';
import type { CachedResult } from '../cache/cache-store.js';
import { hashBreakerSubject } from '../cache/hash-token.js';
import { createClientAuthenticator } from '../client-auth/create-client-authenticator.js';
import { InvalidTokenError, TokenGuardError, UpstreamUnavailableError } from '../errors.js';
import type { BreakerState } from '../health/check-guard-health.js';
import { type HttpClient, withCallBounds } from '../internal/http-client.js';
import { createIntrospector } from '../introspection/create-introspector.js';
import { createUpstreamLimiter } from '../introspection/create-upstream-limiter.js';
import { createJwtVerifier, type JwtVerifier } from '../jwt/create-jwt-verifier.js';
import { isJwtRouted } from '../jwt/is-jwt-routed.js';
import type { NormalizedJwtOptions } from '../jwt/normalize-jwt-options.js';
import { maxTokenAgeDeadlineMs } from '../jwt/verify-jwt.js';
import type {
  NormalizedIntrospection,
  NormalizedValidation,
} from '../settings/normalize-validation.js';
import type { ValidationStrategy } from '../types.js';
import type { ValidationTrace } from '../validation-trace.js';
import type { EndpointResolver } from './create-endpoint-resolver.js';
import type { GuardMetricsRecorder } from './create-guard-metrics.js';

export interface ValidatorDependencies {
  readonly http: HttpClient;
  readonly endpoint: EndpointResolver;
  readonly clockToleranceSec: number;
  readonly metrics: GuardMetricsRecorder;
}

export interface Validator {
  /**
   * Validates one token; `invalid` for any token problem, throws on an outage. With a
   * trace, records whether the identity service was called.
   */
  validate(token: string, trace?: ValidationTrace): Promise<CachedResult>;
  /** The strategy `validate` will use for this token (decided by its shape alone). */
  strategyOf(token: string): ValidationStrategy;
  /** The introspection breaker's state (`closed` without introspection). */
  readonly breakerState: BreakerState;
  /** The parts `guard.health()` reads or probes; absent when the strategy has no such part. */
  readonly health: ValidatorHealth;
  /** Stops the limiter's timers. */
  close(): void;
}

export interface ValidatorHealth {
  /** The JWT key set: its state, and a fetch for `{ probe: true }`. */
  readonly keys?: Pick<JwtVerifier, 'keysState' | 'loadKeys'>;
  /** The introspection breaker; `probeDue` once its cooldown is over. */
  readonly breaker?: { readonly state: BreakerState; readonly probeDue: boolean };
  /** One introspection of a random token, outside cache and breaker: any verdict is health. */
  readonly probeIntrospection?: () => Promise<unknown>;
}

/** A JWT-only guard's verdict on a token that is not shaped as a JWS (RFC 7515 §7.1). */
const NOT_A_JWT: CachedResult = Object.freeze({ kind: 'invalid', reason: 'not_a_jwt' });

type JwtAgeSettings = Pick<NormalizedJwtOptions, 'maxTokenAgeSec' | 'clockToleranceSec'>;

type Validate = (token: string, trace?: ValidationTrace) => Promise<CachedResult>;

/**
 * @example
 * const validator = createValidator(config.validation, { http, endpoint, clockToleranceSec, metrics });
 * const result = await validator.validate(token); // { kind: 'valid', claims, strategy } | { kind: 'invalid' }
 */
export function createValidator(
  validation: NormalizedValidation,
  deps: ValidatorDependencies,
): Validator {
  switch (validation.strategy) {
    case 'jwt': {
      const verifier = createVerifier(validation.jwt, deps);
      const jwt = byJwt(verifier, validation.jwt);
      return {
        // An opaque token (no two dots, or a JWE) cannot be a JWS: say so, rather than
        // "malformed", since the likely fix is configuring introspection.
        validate: (token) => (isJwtRouted(token) ? jwt(token) : Promise.resolve(NOT_A_JWT)),
        strategyOf: () => 'jwt',
        breakerState: 'closed',
        health: { keys: verifier },
        close() {},
      };
    }
    case 'introspection':
      return byIntrospection(validation.introspection, deps);
    case 'auto': {
      const verifier = createVerifier(validation.jwt, deps);
      const jwt = byJwt(verifier, validation.jwt);
      const introspection = byIntrospection(validation.introspection, deps);
      // Anything shaped like a JWS goes to local verification and is refused there if
      // malformed, never introspected: an identity service that introspects its own JWTs
      // would otherwise accept tokens local verification refuses (another API's, ID tokens).
      const strategyOf = (token: string): ValidationStrategy =>
        isJwtRouted(token) ? 'jwt' : 'introspection';
      return {
        validate: (token, trace) =>
          strategyOf(token) === 'jwt' ? jwt(token) : introspection.validate(token, trace),
        strategyOf,
        get breakerState() {
          return introspection.breakerState;
        },
        health: { ...introspection.health, keys: verifier },
        close: introspection.close,
      };
    }
  }
}

function createVerifier(
  jwt: Extract<NormalizedValidation, { strategy: 'jwt' }>['jwt'],
  deps: ValidatorDependencies,
): JwtVerifier {
  return createJwtVerifier(jwt, {
    http: deps.http,
    jwksUri: deps.endpoint(jwt.jwksUri, 'jwks_uri', 'jwt.jwksUri'),
    onJwksFetch: deps.metrics.counter('jwksFetches'),
  });
}

function byJwt(
  verifier: JwtVerifier,
  { maxTokenAgeSec, clockToleranceSec }: JwtAgeSettings,
): Validate {
  return async (token) => {
    try {
      const claims = await verifier.verify(token);
      // A bound token (`cnf`) is a valid verdict: possession is checked per request.
      // `maxTokenAgeSec` keeps applying to a cached verdict: it ends when verifying the token
      // afresh would refuse it as too old (same rule, same tolerance).
      const iat = claims.iat;
      if (maxTokenAgeSec !== undefined && typeof iat === 'number') {
        return {
          kind: 'valid',
          claims,
          strategy: 'jwt',
          notAfterMs: maxTokenAgeDeadlineMs(iat, maxTokenAgeSec, clockToleranceSec),
        };
      }
      return { kind: 'valid', claims, strategy: 'jwt' };
    } catch (error) {
      if (error instanceof InvalidTokenError) return { kind: 'invalid', reason: error.reason };
      throw error;
    }
  };
}

function byIntrospection(
  settings: NormalizedIntrospection,
  deps: ValidatorDependencies,
): Validator {
  const { endpoint, metrics } = deps;
  // `introspection.http`: the bounds of introspection calls and of its token endpoint.
  const http = withCallBounds(deps.http, settings);
  const clientAuth = settings.clientAuth;
  const introspector = createIntrospector({
    http,
    endpoint: endpoint(settings.endpoint, 'introspection_endpoint', 'introspection.endpoint'),
    clientAuth:
      clientAuth &&
      createClientAuthenticator(clientAuth, {
        http,
        tokenEndpoint: endpoint(
          clientAuth.method === 'client_credentials' && clientAuth.tokenEndpoint !== undefined
            ? new URL(clientAuth.tokenEndpoint)
            : undefined,
          'token_endpoint',
          'introspection.clientAuth.tokenEndpoint',
        ),
        onTokenRequest: metrics.counter('tokenEndpointCalls'),
      }),
    clockToleranceSec: deps.clockToleranceSec,
    audience: settings.audience,
    requireAudience: settings.requireAudience,
    onCall: metrics.counter('upstreamCalls'),
  });
  const limiter = createUpstreamLimiter(settings, {
    rejectedByConcurrencyCap: metrics.counter('rejectedByConcurrencyCap'),
    rejectedByBreaker: metrics.counter('rejectedByBreaker'),
  });
  return {
    async validate(token, trace) {
      const verdict = await limiter.run(
        () => {
          if (trace !== undefined) trace.upstreamCalled = true;
          return introspector.introspect(token);
        },
        (error) => !(error instanceof TokenGuardError) || error instanceof UpstreamUnavailableError,
        // The breaker counts distinct tokens; it keeps a hash, never the token.
        hashBreakerSubject(token),
      );
      return verdict.kind === 'valid'
        ? { kind: 'valid', claims: verdict.claims, strategy: 'introspection' }
        : { kind: 'invalid', reason: verdict.reason };
    },
    strategyOf: () => 'introspection',
    get breakerState() {
      return limiter.state;
    },
    health: {
      breaker: limiter,
      probeIntrospection: () =>
        introspector.introspect(`tokenguard-health-probe.${randomBytes(16).toString('base64url')}`),
    },
    close: () => limiter.close(),
  };
}
