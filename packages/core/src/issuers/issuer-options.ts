/**
 * Several issuers in one guard (multi-tenant services, migrations between identity providers,
 * custom domains): the options of one issuer, and the application's functions that pick one.
 */
import type { IntrospectionOptions, JwtOptions } from '../options/types.js';
import type { RequestLike } from '../types.js';

/**
 * One trusted issuer: its own discovery, key source, audience, introspection endpoint and
 * client credentials. A token is validated by exactly one issuer.
 */
export interface IssuerOptions {
  /** The issuer identifier: matched exactly against a JWT's `iss`; the base of discovery. */
  readonly issuer: string;
  /** Which strategy validates this issuer's tokens. Default: inferred as for the guard. */
  readonly strategy?: 'introspection' | 'jwt' | 'auto';
  /** This issuer's introspection (endpoint default: its discovery). */
  readonly introspection?: IntrospectionOptions;
  /** This issuer's JWT verification (`jwt.issuer` is always `issuer`). */
  readonly jwt?: Omit<JwtOptions, 'issuer'>;
}

/**
 * Looks up an issuer the list does not name (large tenant counts): `iss` is a JWT's `iss`
 * (read before verification, only to find its entry) or what `selectIssuer` chose. Return the
 * entry for that exact issuer, or `undefined` for an issuer you do not trust (401). Results are
 * cached, and at most `maxIssuers` issuers' metadata and keys are held at once.
 */
export type IssuerResolver = (
  iss: string,
  request: RequestLike | undefined,
) => IssuerOptions | undefined | Promise<IssuerOptions | undefined>;

/**
 * Picks the issuer of an opaque token (which names none) from the request: its host, path
 * or a header. Return an issuer identifier, or `undefined` to try the configured issuers in
 * order. Not called by `guard.verify(token)`, which has no request.
 */
export type IssuerSelector = (request: RequestLike) => string | undefined;
