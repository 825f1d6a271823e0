/**
 * The audience a protected resource expects when none is configured: its own RFC 9728
 * resource identifier. The MCP authorization specification requires servers to refuse tokens
 * that were not issued for them (RFC 8707 resource indicators; the confused-deputy case), and
 * a client asking for a token for this resource names that identifier as `resource`.
 */
import { isPlainObject } from './validators.js';

/** `resourceMetadata.resource`, when it is a string; checked in full elsewhere. */
export function resourceIdentifier(resourceMetadata: unknown): string | undefined {
  if (!isPlainObject(resourceMetadata)) return undefined;
  const { resource } = resourceMetadata;
  return typeof resource === 'string' && resource !== '' ? resource : undefined;
}

/**
 * The `jwt` options with `audience` set to the resource identifier when the user gave no
 * audience and did not switch the check off; anything else is returned as it is (and
 * checked, with its own path, by the JWT option normaliser).
 */
export function withResourceAudience(jwt: unknown, resource: string | undefined): unknown {
  if (resource === undefined || !isPlainObject(jwt)) return jwt;
  if (jwt.audience !== undefined || jwt.checkAudience === false) return jwt;
  return { ...jwt, audience: resource };
}
