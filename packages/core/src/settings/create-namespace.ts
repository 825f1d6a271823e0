/**
 * The cache namespace: a fingerprint of everything that can change a verdict, mixed into
 * every cache key. Two guards sharing a store (two services on one Redis) must never serve
 * each other's entries, so it covers the issuer, the endpoints, the JWT settings and key
 * source, and who is asking: RFC 7662 §4 lets an identity service answer per caller
 * (audience restriction), so the introspection caller's identity is part of it.
 */
import { hash } from 'node:crypto';
import { TokenGuardConfigError } from '../errors.js';
import type { NormalizedJwtOptions } from '../jwt/normalize-jwt-options.js';
import type { ClientAuthentication } from '../options/types.js';
import { fingerprintSettings } from './fingerprint-settings.js';

export interface NamespaceInputs {
  readonly strategy: string;
  readonly issuer: string | undefined;
  readonly clockToleranceSec: number;
  /** The normalised `introspection` options (operational keys are left out here). */
  readonly introspection: Readonly<Record<string, unknown>> | undefined;
  readonly jwt: NormalizedJwtOptions | undefined;
  /** `cache.namespace`: mixed in as is. */
  readonly explicit: string | undefined;
  /** Whether a shared store is configured (then a caller without identity needs `explicit`). */
  readonly sharedStore: boolean;
}

/**
 * Introspection options that only shape how we call, never what the answer means.
 * Everything else (any option added later included) is part of the namespace by default.
 */
const OPERATIONAL_INTROSPECTION_KEYS = new Set([
  'timeoutMs',
  'maxResponseBytes',
  'connections',
  'maxConcurrent',
  'queueTimeoutMs',
  'breakerThreshold',
  'breakerCooldownMs',
  'dispatcher',
  'clientAuth',
]);

/** @throws TokenGuardConfigError when the namespace cannot tell this guard's caller apart. */
export function createNamespace(inputs: NamespaceInputs): string {
  let introspection: Record<string, unknown> | undefined;
  if (inputs.introspection !== undefined) {
    introspection = {};
    for (const [key, value] of Object.entries(inputs.introspection)) {
      if (!OPERATIONAL_INTROSPECTION_KEYS.has(key)) introspection[key] = value;
    }
    introspection.caller = callerIdentity(
      inputs.introspection.clientAuth as ClientAuthentication | undefined,
      inputs,
    );
  }
  return fingerprintSettings({
    strategy: inputs.strategy,
    issuer: inputs.issuer,
    clockToleranceSec: inputs.clockToleranceSec,
    introspection,
    jwt: inputs.jwt,
    explicit: inputs.explicit,
  });
}

/**
 * Who we are to the introspection endpoint: the method and client id, or a hash of a
 * static bearer token (never the token itself). A bearer token from a function has no
 * identity we can see, so with a shared store the caller must name it (`cache.namespace`).
 */
function callerIdentity(
  clientAuth: ClientAuthentication | undefined,
  inputs: NamespaceInputs,
): Record<string, unknown> {
  if (clientAuth === undefined) return { method: 'none' };
  switch (clientAuth.method) {
    case 'bearer':
      if (typeof clientAuth.token === 'string') {
        return { method: 'bearer', tokenSha256: hash('sha256', clientAuth.token, 'base64url') };
      }
      if (inputs.sharedStore && inputs.explicit === undefined) {
        throw new TokenGuardConfigError(
          'cache.namespace',
          'is required with a shared `cache.store` when `introspection.clientAuth.token` is a function: name this caller (e.g. the service name), so services asking with different credentials never share verdicts',
        );
      }
      return { method: 'bearer', token: 'function' };
    case 'client_credentials':
      // The grant's token carries the requested scope and resource: the identity service may
      // answer differently for each.
      return {
        method: clientAuth.method,
        clientId: clientAuth.clientId,
        tokenEndpoint: clientAuth.tokenEndpoint,
        scope: clientAuth.scope,
        resource: clientAuth.resource,
      };
    default:
      return { method: clientAuth.method, clientId: clientAuth.clientId };
  }
}
