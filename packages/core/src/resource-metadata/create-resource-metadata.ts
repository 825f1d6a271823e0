/**
 * RFC 9728 OAuth 2.0 Protected Resource Metadata: the document a guard publishes about the
 * resource it protects (which authorization servers issue its tokens, which scopes it knows,
 * how it accepts tokens), the paths it is served at, and the URL 401 challenges point to.
 * Built once, at construction; serving it is a lookup.
 */
import { TokenGuardConfigError } from '../errors.js';
import {
  checkEndpointUrl,
  checkKnownKeys,
  checkObject,
  optionalString,
} from '../options/validators.js';

/** What a guard publishes; `undefined` on a guard without `resourceMetadata`. */
export interface ResourceMetadata {
  /** The resource identifier, as configured. */
  readonly resource: string;
  /** The document's URL (RFC 9728 §3.1), sent as `resource_metadata` in challenges (§5.1). */
  readonly url: string;
  /** Paths the adapters serve the document at: the plain well-known path and the §3.1 one. */
  readonly paths: readonly string[];
  /** The document (frozen). */
  readonly document: Readonly<Record<string, unknown>>;
  /** The document as JSON, serialised once. */
  readonly json: string;
}

/** RFC 9728 §3: the well-known URI suffix. */
export const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource';

const KEYS = [
  'resource',
  'authorizationServers',
  'scopesSupported',
  'resourceName',
  'resourceDocumentation',
  'extra',
] as const;

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export interface ResourceMetadataContext {
  /** The issuers the guard trusts: the default `authorization_servers`. */
  readonly issuers: readonly string[];
  /** RFC 9728 §2 `bearer_methods_supported`: where the guard reads tokens (RFC 6750 §2). */
  readonly bearerMethods: readonly ('header' | 'body' | 'query')[];
  readonly allowInsecureHttp: boolean;
  /** `dpop_signing_alg_values_supported`, when sender-constrained tokens are accepted. */
  readonly dpopAlgorithms?: readonly string[];
  /** `dpop_bound_access_tokens_required`: the guard's `dpop` mode is `'required'`. */
  readonly dpopRequired?: boolean;
  /** RFC 8705 §3.3 `tls_client_certificate_bound_access_tokens`: `mtls` is configured. */
  readonly certificateBound?: boolean;
}

export function createResourceMetadata(
  value: unknown,
  context: ResourceMetadataContext,
  path = 'resourceMetadata',
): ResourceMetadata {
  const raw = checkObject(value, path);
  checkKnownKeys(raw, KEYS, path);
  const resource = optionalString(raw.resource, `${path}.resource`);
  if (resource === undefined) throw new TokenGuardConfigError(`${path}.resource`, 'is required');
  const url = checkEndpointUrl(resource, `${path}.resource`, context.allowInsecureHttp);
  // RFC 9728 §2: a URL with no fragment; a query is discouraged and would not survive §3.1.
  if (url.hash !== '' || resource.includes('#') || url.search !== '' || resource.includes('?')) {
    throw new TokenGuardConfigError(`${path}.resource`, 'must have no query and no fragment');
  }
  const authorizationServers = urlList(
    raw.authorizationServers ?? context.issuers,
    `${path}.authorizationServers`,
    context.allowInsecureHttp,
  );
  const scopesSupported = raw.scopesSupported;
  if (
    scopesSupported !== undefined &&
    (!Array.isArray(scopesSupported) ||
      !scopesSupported.every((s) => typeof s === 'string' && SCOPE_TOKEN.test(s)))
  ) {
    throw new TokenGuardConfigError(
      `${path}.scopesSupported`,
      'must be a list of RFC 6749 §3.3 scope tokens',
    );
  }
  const resourceName = optionalString(raw.resourceName, `${path}.resourceName`);
  const resourceDocumentation =
    raw.resourceDocumentation === undefined
      ? undefined
      : checkEndpointUrl(
          raw.resourceDocumentation,
          `${path}.resourceDocumentation`,
          context.allowInsecureHttp,
        ).href;

  const document: Record<string, unknown> = { resource };
  if (authorizationServers.length > 0) document.authorization_servers = authorizationServers;
  if (scopesSupported !== undefined) document.scopes_supported = [...scopesSupported];
  document.bearer_methods_supported = [...context.bearerMethods];
  if (context.dpopAlgorithms !== undefined && context.dpopAlgorithms.length > 0) {
    document.dpop_signing_alg_values_supported = [...context.dpopAlgorithms];
  }
  // Both default to false (RFC 9728 §2, RFC 8705 §3.3): sent only when true.
  if (context.dpopRequired === true) document.dpop_bound_access_tokens_required = true;
  if (context.certificateBound === true) {
    document.tls_client_certificate_bound_access_tokens = true;
  }
  if (resourceName !== undefined) document.resource_name = resourceName;
  if (resourceDocumentation !== undefined) document.resource_documentation = resourceDocumentation;
  if (raw.extra !== undefined) {
    const extra = checkObject(raw.extra, `${path}.extra`);
    for (const [member, memberValue] of Object.entries(extra)) {
      if (member in document) {
        throw new TokenGuardConfigError(
          `${path}.extra.${member}`,
          'is computed by the guard; set it through its own option',
        );
      }
      document[member] = memberValue;
    }
  }
  let json: string;
  try {
    json = JSON.stringify(document);
  } catch {
    throw new TokenGuardConfigError(`${path}.extra`, 'must be JSON-serialisable');
  }

  // RFC 9728 §3.1: the well-known segment goes between the host and the resource's path;
  // a path of just "/" adds nothing.
  const suffix = url.pathname === '/' ? '' : url.pathname;
  const paths = suffix === '' ? [WELL_KNOWN_PATH] : [WELL_KNOWN_PATH, WELL_KNOWN_PATH + suffix];
  return Object.freeze({
    resource,
    url: `${url.origin}${WELL_KNOWN_PATH}${suffix}`,
    paths: Object.freeze(paths),
    document: Object.freeze(JSON.parse(json) as Record<string, unknown>),
    json,
  });
}

function urlList(value: unknown, path: string, allowInsecureHttp: boolean): readonly string[] {
  if (!Array.isArray(value)) throw new TokenGuardConfigError(path, 'must be a list of URLs');
  value.forEach((entry, index) => {
    checkEndpointUrl(entry, `${path}[${index}]`, allowInsecureHttp);
  });
  return [...new Set(value as string[])];
}
