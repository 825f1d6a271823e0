/**
 * `createGuard`: the engine every adapter calls. The pipeline (after Duende's
 * OAuth2Introspection): extract → cache → single-flight → validate (introspection or local
 * JWT) → cache (positive and negative) → requirements. Outages are never token errors.
 */
import { createAuthContext } from './auth-context.js';
import type { CachedResult } from './cache/cache-store.js';
import { createResultCache } from './cache/create-result-cache.js';
import { hashToken } from './cache/hash-token.js';
import { createClientAuthenticator } from './client-auth/create-client-authenticator.js';
import { createDiscovery } from './discovery/create-discovery.js';
import {
  InvalidTokenError,
  MissingTokenError,
  ServerError,
  TokenGuardConfigError,
  TokenGuardError,
  UpstreamUnavailableError,
} from './errors.js';
import type { CallContext, ErrorResponse, GuardMetrics, TokenGuard } from './guard-types.js';
import {
  authFailureChannel,
  authSuccessChannel,
  upstreamErrorChannel,
} from './internal/diagnostics.js';
import { createHttpClient } from './internal/http-client.js';
import { createIntrospector, type Introspector } from './introspection/create-introspector.js';
import { createUpstreamLimiter } from './introspection/create-upstream-limiter.js';
import { createJwtVerifier, type JwtVerifier } from './jwt/create-jwt-verifier.js';
import { isCompactJws } from './jwt/is-compact-jws.js';
import { normalizeOptions } from './options/normalize-options.js';
import type { GuardOptions } from './options/types.js';
import { authorizeClaims, normalizeRequirements } from './policy/authorize.js';
import { checkTokenSyntax, extractBearerToken } from './token/extract-bearer-token.js';
import { isSenderConstrained } from './token/is-sender-constrained.js';
import type { AuthContext, RequestLike, Requirements, TokenClaims } from './types.js';

/**
 * Creates a guard. Every option is validated here; a bad one throws a
 * `TokenGuardConfigError` naming it.
 *
 * @example
 * const guard = createGuard({
 *   introspection: {
 *     endpoint: 'https://identity.example/v1/oauth/introspect',
 *     clientAuth: { method: 'bearer', token: process.env.INTROSPECTION_TOKEN! },
 *   },
 *   scopes: ['orders:read'],
 * });
 * const auth = await guard.authenticate({ method, url, headers });
 */
export function createGuard(options: GuardOptions): TokenGuard {
  const config = normalizeOptions(options);
  const counts = {
    cacheHits: 0,
    cacheMisses: 0,
    upstreamCalls: 0,
    coalesced: 0,
    jwksFetches: 0,
    tokenEndpointCalls: 0,
    rejectedByConcurrencyCap: 0,
    rejectedByBreaker: 0,
  };
  const errorCounts: Record<string, number> = {};

  const introspectionSettings = config.introspection;
  const http = createHttpClient({
    // Discovery uses the client's deadline: the introspection timeout, or for a JWT-only
    // guard the JWKS timeout, so one option bounds every call such a guard makes.
    timeoutMs: introspectionSettings?.timeoutMs ?? config.jwt?.jwksTimeoutMs ?? 5000,
    maxResponseBytes: introspectionSettings?.maxResponseBytes ?? 65_536,
    connections: introspectionSettings?.connections,
    dispatcher: introspectionSettings?.dispatcher,
  });
  const discovery =
    config.issuer === undefined
      ? undefined
      : createDiscovery({
          issuer: config.issuer,
          http,
          allowInsecureHttp: config.allowInsecureHttp,
        });

  /** An endpoint taken from the options, else from discovery (lazily, cached there). */
  function endpointFrom(
    explicit: URL | undefined,
    field: 'introspection_endpoint' | 'jwks_uri' | 'token_endpoint',
    option: string,
  ): () => Promise<URL> {
    if (explicit !== undefined) return () => Promise.resolve(explicit);
    return async () => {
      if (discovery === undefined)
        throw new TokenGuardConfigError(option, 'is required without `issuer`');
      const value = (await discovery.metadata())[field];
      if (value === undefined) {
        throw new TokenGuardConfigError(
          option,
          `is required: the issuer's metadata has no ${field}`,
        );
      }
      return new URL(value);
    };
  }

  let introspector: Introspector | undefined;
  const limiter =
    introspectionSettings &&
    createUpstreamLimiter(introspectionSettings, {
      rejectedByConcurrencyCap: () => counts.rejectedByConcurrencyCap++,
      rejectedByBreaker: () => counts.rejectedByBreaker++,
    });
  if (introspectionSettings !== undefined) {
    const clientAuth = introspectionSettings.clientAuth;
    introspector = createIntrospector({
      http,
      endpoint: endpointFrom(
        introspectionSettings.endpoint,
        'introspection_endpoint',
        'introspection.endpoint',
      ),
      clientAuth:
        clientAuth &&
        createClientAuthenticator(clientAuth, {
          http,
          tokenEndpoint: endpointFrom(
            'tokenEndpoint' in clientAuth && clientAuth.tokenEndpoint !== undefined
              ? new URL(clientAuth.tokenEndpoint)
              : undefined,
            'token_endpoint',
            'introspection.clientAuth.tokenEndpoint',
          ),
          onTokenRequest: () => counts.tokenEndpointCalls++,
        }),
      clockToleranceSec: config.clockToleranceSec,
      onCall: () => counts.upstreamCalls++,
    });
  }

  let jwtVerifier: JwtVerifier | undefined;
  if (config.jwt !== undefined) {
    jwtVerifier = createJwtVerifier(config.jwt, {
      http,
      jwksUri: endpointFrom(config.jwt.jwksUri, 'jwks_uri', 'jwt.jwksUri'),
      onJwksFetch: () => counts.jwksFetches++,
    });
  }

  const cache = createResultCache(config.cache, {
    hit: () => counts.cacheHits++,
    miss: () => counts.cacheMisses++,
    coalesced: () => counts.coalesced++,
  });

  /** Validates with the configured strategy; a token verdict is a result, an outage throws. */
  async function validate(token: string): Promise<CachedResult> {
    const useJwt = config.strategy === 'jwt' || (config.strategy === 'auto' && isCompactJws(token));
    if (useJwt) {
      try {
        const claims = await (jwtVerifier as JwtVerifier).verify(token);
        if (isSenderConstrained(claims)) return { kind: 'invalid' };
        return { kind: 'valid', claims, strategy: 'jwt' };
      } catch (error) {
        if (error instanceof InvalidTokenError) return { kind: 'invalid' };
        throw error;
      }
    }
    const verdict = await (limiter as NonNullable<typeof limiter>).run(
      () => (introspector as Introspector).introspect(token),
      (error) => !(error instanceof TokenGuardError) || error instanceof UpstreamUnavailableError,
    );
    return verdict.kind === 'valid'
      ? { kind: 'valid', claims: verdict.claims, strategy: 'introspection' }
      : { kind: 'invalid' };
  }

  async function verifyToken(token: string): Promise<AuthContext> {
    const key = hashToken(config.namespace, token);
    const lookup = cache.getOrValidate(key, () => validate(token));
    return toAuthContext(token, key, lookup instanceof Promise ? await lookup : lookup);
  }

  function toAuthContext(token: string, key: string, result: CachedResult): AuthContext {
    if (result.kind === 'invalid') {
      throw new InvalidTokenError({ message: 'token invalid or inactive' });
    }
    if (authSuccessChannel.hasSubscribers) {
      authSuccessChannel.publish({ strategy: result.strategy, tokenHash: key.slice(0, 8) });
    }
    return createAuthContext(token, result.claims as TokenClaims, result.strategy);
  }

  const recentLogs = new Map<string, number>();
  /** Upstream details go to the log, at most once per message every 10 s (outages are loud). */
  function logOnce(
    context: CallContext | undefined,
    level: 'warn' | 'error',
    message: string,
  ): void {
    const now = Date.now();
    if ((recentLogs.get(message) ?? 0) > now - 10_000) return;
    if (recentLogs.size > 100) recentLogs.clear();
    recentLogs.set(message, now);
    // The request's own logger (pino order) first: its lines carry the request id.
    if (context?.log !== undefined) context.log[level]({}, message);
    else (context?.logger ?? config.logger)[level](message);
  }

  /** Turns anything thrown into a TokenGuardError with our realm, counted and logged. */
  function refuse(error: unknown, context?: CallContext): TokenGuardError {
    let refusal: TokenGuardError;
    if (error instanceof TokenGuardError) {
      refusal = error;
    } else if (error instanceof TokenGuardConfigError) {
      // Lazy configuration (discovery) failed: the operator must act; the caller gets a 500.
      refusal = new ServerError({ message: error.message, cause: error });
    } else {
      refusal = new ServerError({
        message: 'unexpected error while validating a token',
        cause: error,
      });
    }
    refusal.realm = config.realm;
    errorCounts[refusal.code] = (errorCounts[refusal.code] ?? 0) + 1;
    if (refusal.status === 500) {
      logOnce(context, 'error', `tokenguard: ${refusal.message || refusal.description}`);
    } else if (refusal.status === 503) {
      logOnce(context, 'warn', `tokenguard: ${refusal.message}`);
      if (upstreamErrorChannel.hasSubscribers) {
        upstreamErrorChannel.publish({ code: refusal.code, message: refusal.message });
      }
    }
    if (authFailureChannel.hasSubscribers) {
      authFailureChannel.publish({
        code: refusal.code,
        status: refusal.status,
        reason: refusal.message,
      });
    }
    return refusal;
  }

  const guard: TokenGuard = {
    realm: config.realm,

    async authenticate(request: RequestLike, context?: CallContext) {
      let auth: AuthContext;
      try {
        const token = extractBearerToken(request, config.extraction);
        if (token === undefined) {
          if (context?.optional ?? config.optional) return undefined;
          throw new MissingTokenError();
        }
        auth = await verifyToken(token);
        if (!config.requirements.isEmpty) await authorizeClaims(auth, config.requirements, request);
      } catch (error) {
        throw refuse(error, context);
      }
      return auth;
    },

    async verify(token: string, context?: CallContext) {
      try {
        return await verifyToken(checkTokenSyntax(token, config.extraction.maxHeaderBytes));
      } catch (error) {
        throw refuse(error, context);
      }
    },

    async authorize(
      auth: AuthContext | undefined,
      requirements: Requirements,
      request: RequestLike,
      context?: CallContext,
    ) {
      try {
        if (auth === undefined) throw new MissingTokenError();
        await authorizeClaims(auth, normalizeRequirements(requirements), request);
      } catch (error) {
        throw refuse(error, context);
      }
    },

    errorResponse(error: unknown): ErrorResponse {
      const refusal = error instanceof TokenGuardError ? error : refuse(error);
      return { status: refusal.status, headers: refusal.headers, body: refusal.body };
    },

    metrics(): GuardMetrics {
      return { ...counts, breakerState: limiter?.state ?? 'closed', errors: { ...errorCounts } };
    },

    async ready() {
      if (discovery !== undefined) await discovery.metadata();
    },

    async close() {
      limiter?.close();
      await http.close();
    },
  };
  return Object.freeze(guard);
}
