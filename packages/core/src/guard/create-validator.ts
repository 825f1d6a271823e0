/**
 * The validation strategy: introspection (RFC 7662), local JWT (RFC 9068), or `auto`
 * (compact JWS locally, anything else by introspection), each built from exactly the
 * settings normalisation proved it has. A token verdict is a result; an outage throws.
 */
import type { CachedResult } from '../cache/cache-store.js';
import { createClientAuthenticator } from '../client-auth/create-client-authenticator.js';
import { InvalidTokenError, TokenGuardError, UpstreamUnavailableError } from '../errors.js';
import type { HttpClient } from '../internal/http-client.js';
import { createIntrospector } from '../introspection/create-introspector.js';
import {
  type BreakerState,
  createUpstreamLimiter,
} from '../introspection/create-upstream-limiter.js';
import { createJwtVerifier, type JwtVerifier } from '../jwt/create-jwt-verifier.js';
import { isCompactJws } from '../jwt/is-compact-jws.js';
import type {
  NormalizedIntrospection,
  NormalizedValidation,
} from '../options/normalize-options.js';
import { isSenderConstrained } from '../token/is-sender-constrained.js';
import type { EndpointResolver } from './create-endpoint-resolver.js';
import type { GuardMetricsRecorder } from './create-guard-metrics.js';

export interface ValidatorDependencies {
  readonly http: HttpClient;
  readonly endpoint: EndpointResolver;
  readonly clockToleranceSec: number;
  readonly metrics: GuardMetricsRecorder;
}

export interface Validator {
  /** Validates one token; `invalid` for any token problem, throws on an outage. */
  validate(token: string): Promise<CachedResult>;
  /** The introspection breaker's state (`closed` without introspection). */
  readonly breakerState: BreakerState;
  /** Stops the limiter's timers. */
  close(): void;
}

type Validate = (token: string) => Promise<CachedResult>;

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
    case 'jwt':
      return {
        validate: byJwt(createVerifier(validation.jwt, deps)),
        breakerState: 'closed',
        close() {},
      };
    case 'introspection':
      return byIntrospection(validation.introspection, deps);
    case 'auto': {
      const jwt = byJwt(createVerifier(validation.jwt, deps));
      const introspection = byIntrospection(validation.introspection, deps);
      return {
        validate: (token) => (isCompactJws(token) ? jwt(token) : introspection.validate(token)),
        get breakerState() {
          return introspection.breakerState;
        },
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

function byJwt(verifier: JwtVerifier): Validate {
  return async (token) => {
    try {
      const claims = await verifier.verify(token);
      // RFC 9449 / RFC 8705: a sender-constrained token is not a bearer token.
      if (isSenderConstrained(claims)) return { kind: 'invalid' };
      return { kind: 'valid', claims, strategy: 'jwt' };
    } catch (error) {
      if (error instanceof InvalidTokenError) return { kind: 'invalid' };
      throw error;
    }
  };
}

function byIntrospection(
  settings: NormalizedIntrospection,
  deps: ValidatorDependencies,
): Validator {
  const { http, endpoint, metrics } = deps;
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
    onCall: metrics.counter('upstreamCalls'),
  });
  const limiter = createUpstreamLimiter(settings, {
    rejectedByConcurrencyCap: metrics.counter('rejectedByConcurrencyCap'),
    rejectedByBreaker: metrics.counter('rejectedByBreaker'),
  });
  return {
    async validate(token) {
      const verdict = await limiter.run(
        () => introspector.introspect(token),
        (error) => !(error instanceof TokenGuardError) || error instanceof UpstreamUnavailableError,
      );
      return verdict.kind === 'valid'
        ? { kind: 'valid', claims: verdict.claims, strategy: 'introspection' }
        : { kind: 'invalid' };
    },
    get breakerState() {
      return limiter.state;
    },
    close: () => limiter.close(),
  };
}
