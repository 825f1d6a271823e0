/**
 * Lazy authorization-server discovery: RFC 8414 metadata, falling back to OpenID Connect
 * Discovery 1.0. After Duende's OAuth2Introspection: fetched on first use, cached for the
 * guard's life once it succeeds, retried soon after an outage, and retried with backoff after
 * a document that contradicts the configuration (the operator may fix either side).
 */
import { TokenGuardConfigError, UpstreamUnavailableError } from '../errors.js';
import type { DiscoveryState } from '../health/check-guard-health.js';
import { type HttpClient, parseJsonObject } from '../internal/http-client.js';
import { createSingleFlight } from '../internal/single-flight.js';
import { DEFAULTS } from '../options/defaults.js';
import { checkIssuerUrl, isAllowedScheme } from '../options/validators.js';

/**
 * The metadata fields the guard uses (RFC 8414 §2), validated; every other member of the
 * document is kept as published. Wire names keep RFC spelling.
 */
export interface AuthorizationServerMetadata {
  /** Equal to the configured issuer, exactly (RFC 8414 §3.3). */
  readonly issuer: string;
  /** RFC 7662 introspection endpoint (RFC 8414 §2 via RFC 7662 §4): an absolute https URL. */
  readonly introspection_endpoint?: string;
  /** JWK Set document (RFC 8414 §2): an absolute https URL. */
  readonly jwks_uri?: string;
  /** Token endpoint (RFC 8414 §2): an absolute https URL. */
  readonly token_endpoint?: string;
  readonly [member: string]: unknown;
}

export interface DiscoveryOptions {
  /** The configured issuer identifier (an https URL, RFC 8414 §2). */
  readonly issuer: string;
  /** The guard's HTTP client (timeout, size limit, no redirects). */
  readonly http: HttpClient;
  /** Accept `http:` issuer and endpoint URLs (loopback tests). */
  readonly allowInsecureHttp: boolean;
  /** How long a failed fetch is remembered before the next attempt, in milliseconds. Default 2000. */
  readonly retryAfterFailureMs?: number;
}

export interface Discovery {
  /**
   * The issuer's metadata, fetched on first call and cached for the guard's life.
   * @throws UpstreamUnavailableError when the metadata cannot be fetched (not cached beyond
   *   `retryAfterFailureMs`); TokenGuardConfigError when the document contradicts the
   *   configuration (issuer mismatch, non-https endpoint): remembered with a doubling backoff
   *   (from `retryAfterFailureMs` up to one minute), then fetched again.
   */
  metadata(): Promise<AuthorizationServerMetadata>;
  /**
   * Where discovery stands, without fetching (for `guard.health()`): `idle` before the first
   * call, `pending` while a fetch runs, `ok` once the metadata is known, `failed` after an
   * outage (retried on next use) or a document that contradicts the configuration.
   */
  readonly state: DiscoveryState;
}

/** Longest wait before a configuration error is fetched again, in milliseconds. */
export const MAX_CONFIG_RETRY_MS = 60_000;

/** Characters of a published value quoted in a log line. */
const EXCERPT_CHARS = 60;

/** The endpoint fields the guard takes from the document. */
const ENDPOINT_FIELDS = ['introspection_endpoint', 'jwks_uri', 'token_endpoint'] as const;

/**
 * Creates a lazy discovery for `issuer`. Nothing is fetched until `metadata()` is called;
 * concurrent callers share one in-flight fetch.
 *
 * @example
 * const discovery = createDiscovery({ issuer: 'https://id.example', http, allowInsecureHttp: false });
 * const { jwks_uri } = await discovery.metadata();
 */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const { issuer, http, allowInsecureHttp } = options;
  const retryAfterFailureMs = options.retryAfterFailureMs ?? DEFAULTS.retryAfterFailureMs;
  const issuerUrl = checkIssuer(issuer, allowInsecureHttp);
  const locations = metadataLocations(issuerUrl);

  // An outage is remembered only briefly, so a burst of requests gets one fetch and a quick
  // answer, and the first request after `retryAfterFailureMs` tries again. A configuration
  // error is held longer, doubling up to a minute: it needs the operator (on our side or the
  // issuer's), but must not stick for the guard's life once fixed. Success stays.
  let configFailures = 0;
  const document = createSingleFlight<AuthorizationServerMetadata>({
    keepValueMs: Number.POSITIVE_INFINITY,
    keepFailureMs: (error) => {
      if (!(error instanceof TokenGuardConfigError)) {
        configFailures = 0;
        return retryAfterFailureMs;
      }
      return Math.min(MAX_CONFIG_RETRY_MS, retryAfterFailureMs * 2 ** configFailures++);
    },
  });

  let state: DiscoveryState = 'idle';

  async function load(): Promise<AuthorizationServerMetadata> {
    state = 'pending';
    try {
      const fetched = await fetchFirst(http, locations);
      const metadata = validateMetadata(fetched, issuer, allowInsecureHttp);
      state = 'ok';
      return metadata;
    } catch (error) {
      state = 'failed';
      throw error;
    }
  }

  return {
    get state() {
      return state;
    },
    metadata: () => document.run(load),
  };
}

function checkIssuer(issuer: string, allowInsecureHttp: boolean): URL {
  // RFC 8414 §2; normalisation already checked it under its own path (`issuers[1].issuer`).
  return checkIssuerUrl(issuer, 'issuer', allowInsecureHttp);
}

/**
 * Where the metadata may live, in order: RFC 8414 §3.1 inserts the well-known segment between
 * the host and the issuer's path (a terminating `/` removed first); OpenID Connect Discovery
 * 1.0 §4 appends `/.well-known/openid-configuration` to the issuer.
 */
export function metadataLocations(issuer: URL): readonly [URL, URL] {
  const path = issuer.pathname.replace(/\/$/, '');
  const oauth = new URL(`/.well-known/oauth-authorization-server${path}`, issuer.origin);
  const openid = new URL(`${path}/.well-known/openid-configuration`, issuer.origin);
  return [oauth, openid];
}

/**
 * Fetches the RFC 8414 document, falling back to OpenID discovery only when the first is
 * absent (a 4xx answer): a 5xx or a network fault is an outage of a server that may well serve
 * RFC 8414, so it is reported (503) and retried rather than bypassed.
 */
async function fetchFirst(
  http: HttpClient,
  [oauth, openid]: readonly [URL, URL],
): Promise<Record<string, unknown>> {
  const first = await http.send({
    method: 'GET',
    url: oauth,
    headers: { accept: 'application/json' },
    purpose: 'discovery',
  });
  if (first.status === 200) return parseJsonObject(first, 'discovery');
  if (first.status < 400 || first.status >= 500) throw unexpectedStatus(first.status);
  const second = await http.send({
    method: 'GET',
    url: openid,
    headers: { accept: 'application/json' },
    purpose: 'discovery',
  });
  if (second.status === 200) return parseJsonObject(second, 'discovery');
  if (second.status === 404) {
    throw new UpstreamUnavailableError({
      message:
        'discovery: neither oauth-authorization-server nor openid-configuration metadata found (404)',
    });
  }
  throw unexpectedStatus(second.status);
}

function malformedDocument(field: string): UpstreamUnavailableError {
  return new UpstreamUnavailableError({ message: `discovery metadata malformed: ${field}` });
}

function unexpectedStatus(status: number): UpstreamUnavailableError {
  return new UpstreamUnavailableError({ message: `discovery endpoint answered HTTP ${status}` });
}

function validateMetadata(
  document: Record<string, unknown>,
  issuer: string,
  allowInsecureHttp: boolean,
): AuthorizationServerMetadata {
  // RFC 8414 §3.3 / OIDC Discovery §4.3: the document's issuer must be identical to the one
  // configured, or an attacker-controlled document could redirect key and endpoint lookups.
  // A document of the wrong shape is a garbage answer (an outage, 503, retried), not a
  // contradiction of the configuration: only a well-formed document can contradict it.
  if (typeof document.issuer !== 'string') throw malformedDocument('issuer');
  for (const field of ENDPOINT_FIELDS) {
    const value = document[field];
    if (value !== undefined && (typeof value !== 'string' || !URL.canParse(value))) {
      throw malformedDocument(field);
    }
  }
  if (document.issuer !== issuer) {
    const published = `'${excerpt(document.issuer)}'`;
    throw new TokenGuardConfigError(
      'issuer',
      `must equal the issuer of its discovery metadata, which has ${published} (RFC 8414 §3.3)`,
    );
  }
  for (const field of ENDPOINT_FIELDS) {
    const value = document[field];
    // Shapes were checked above: a present field is a parseable URL string.
    if (typeof value !== 'string') continue;
    if (!isAllowedScheme(new URL(value), allowInsecureHttp)) {
      throw new TokenGuardConfigError(
        'issuer',
        `has discovery metadata whose ${field} is not https (set allowInsecureHttp for local development)`,
      );
    }
  }
  return Object.freeze({ ...document }) as AuthorizationServerMetadata;
}

/**
 * A published value as it may appear in a log line: one line, printable ASCII only, at most
 * 60 characters. The value comes from the network; it must not forge log lines or flood them.
 */
export function excerpt(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > EXCERPT_CHARS ? `${clean.slice(0, EXCERPT_CHARS)}...` : clean;
}
