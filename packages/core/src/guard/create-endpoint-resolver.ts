/**
 * Endpoints come from the options, else from the issuer's metadata (RFC 8414 §3), fetched
 * lazily by discovery and cached there.
 */
import type { Discovery } from '../discovery/create-discovery.js';
import { TokenGuardConfigError } from '../errors.js';

/** A metadata field naming an endpoint the guard may call. */
export type EndpointField = 'introspection_endpoint' | 'jwks_uri' | 'token_endpoint';

/** Returns a lazy resolver for one endpoint; `option` names it in configuration errors. */
export type EndpointResolver = (
  explicit: URL | undefined,
  field: EndpointField,
  option: string,
) => () => Promise<URL>;

/**
 * @example
 * const endpoint = createEndpointResolver(discovery);
 * const jwksUri = endpoint(undefined, 'jwks_uri', 'jwt.jwksUri');
 * await jwksUri(); // the issuer's jwks_uri
 */
export function createEndpointResolver(discovery: Discovery | undefined): EndpointResolver {
  return (explicit, field, option) => {
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
  };
}
