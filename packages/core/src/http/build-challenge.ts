/**
 * Builds `WWW-Authenticate: Bearer …` values (RFC 6750 §3). Pure; every attribute value
 * is reduced to the RFC 6750 §3 character set and quoted-string escaped (RFC 9110 §5.6.4),
 * so nothing from a token, an option or an upstream answer can break the header.
 */
export interface ChallengeAttributes {
  /** The auth-scheme: `Bearer` (RFC 6750 §3) unless `DPoP` (RFC 9449 §7.1). */
  readonly scheme?: 'Bearer' | 'DPoP';
  readonly realm?: string;
  readonly error?: string;
  readonly errorDescription?: string;
  readonly errorUri?: string;
  readonly scope?: string;
  /** RFC 9470 §3: the authentication context classes that would satisfy the resource. */
  readonly acrValues?: string;
  /** RFC 9470 §3: the longest accepted time since the user authenticated, in seconds. */
  readonly maxAgeSec?: number;
  /** RFC 9728 §5.1: the URL of the protected resource's metadata document. */
  readonly resourceMetadata?: string;
  /** RFC 9449 §7.1: space-separated JWS algorithms accepted for DPoP proofs. */
  readonly algs?: string;
}

// RFC 6750 §3: error, error_description and scope use %x20-21 / %x23-5B / %x5D-7E;
// realm is a quoted-string, so we allow the same printable ASCII and escape `"` and `\`.
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;

/** Makes any string safe to place inside a quoted-string. */
export function quoteAttributeValue(value: string): string {
  const printable = value.replace(NOT_PRINTABLE_ASCII, '');
  return `"${printable.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/**
 * A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3).
 *
 * @example
 * buildChallenge({ realm: 'api', error: 'insufficient_scope', scope: 'orders:write' });
 * // 'Bearer realm="api", error="insufficient_scope", scope="orders:write"'
 */
export function buildChallenge(attributes: ChallengeAttributes): string {
  const parts: string[] = [];
  const add = (name: string, value: string | undefined) => {
    if (value !== undefined) parts.push(`${name}=${quoteAttributeValue(value)}`);
  };
  add('realm', attributes.realm);
  add('error', attributes.error);
  add('error_description', attributes.errorDescription);
  add('error_uri', attributes.errorUri);
  add('scope', attributes.scope);
  add('acr_values', attributes.acrValues);
  add('max_age', attributes.maxAgeSec === undefined ? undefined : String(attributes.maxAgeSec));
  add('resource_metadata', attributes.resourceMetadata);
  add('algs', attributes.algs);
  const scheme = attributes.scheme ?? 'Bearer';
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
}
