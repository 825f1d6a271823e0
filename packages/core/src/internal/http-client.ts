/**
 * The one way the core talks HTTP: a whole-call deadline, a bounded body and no redirects
 * (a 3xx is a fault for the caller), over one transport (http-transport.ts: undici's pool,
 * or `fetch` where that pool is not available). Every transport problem becomes an
 * `UpstreamUnavailableError` whose message names the endpoint's purpose — never the token,
 * never a secret.
 */
import type { Dispatcher } from 'undici';
import { UpstreamUnavailableError } from '../errors.js';
import { createHttpTransport } from './http-transport.js';
import {
  TransportFault,
  type TransportRequest,
  type TransportResponse,
} from './transport-fault.js';

export interface HttpClientOptions {
  /** Whole-call deadline in milliseconds (connect, headers and body). */
  readonly timeoutMs: number;
  /** Largest accepted body in bytes. */
  readonly maxResponseBytes: number;
  /** Keep-alive connections per origin (undici's pool). */
  readonly connections?: number;
  /**
   * A caller-supplied dispatcher (proxy, custom TLS), or `'global'` for the runtime's shared
   * pool (undici's global dispatcher, or `fetch`'s own); the client then owns no pool.
   */
  readonly dispatcher?: Dispatcher | 'global';
  /** A caller-supplied `fetch`; the client then sends every call through it. */
  readonly fetch?: typeof fetch;
  /** Called after every call with its purpose and whole duration (the upstream latency histogram). */
  readonly onComplete?: (purpose: string, durationMs: number) => void;
}

export type HttpResponse = TransportResponse;

/** What one client is built with: the guard's `http` options, or an issuer's over them. */
export interface OutboundSettings {
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly connections: number;
  readonly dispatcher: Dispatcher | undefined;
  readonly fetch: typeof fetch | undefined;
}

export interface HttpRequest extends TransportRequest {
  /** What the call is for, used in error messages: `introspection`, `jwks`, … */
  readonly purpose: string;
  /** Per-call override of the client's deadline. */
  readonly timeoutMs?: number;
  /** Per-call override of the client's body limit (a JWKS may be larger than an introspection answer). */
  readonly maxResponseBytes?: number;
}

export interface HttpClient {
  send(req: HttpRequest): Promise<HttpResponse>;
  close(): Promise<void>;
}

export function createHttpClient(options: HttpClientOptions): HttpClient {
  const transport = createHttpTransport({
    fetch: options.fetch,
    dispatcher: options.dispatcher,
    connections: options.connections,
    connectTimeoutMs: options.timeoutMs,
  });

  async function send(req: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = req.timeoutMs ?? options.timeoutMs;
    const maxBytes = req.maxResponseBytes ?? options.maxResponseBytes;
    const started = options.onComplete === undefined ? 0 : performance.now();
    try {
      return await transport.send(req, timeoutMs, maxBytes);
    } catch (cause) {
      throw upstreamFault(req, describe(cause, timeoutMs, maxBytes), cause);
    } finally {
      options.onComplete?.(req.purpose, performance.now() - started);
    }
  }

  return { send, close: () => transport.close() };
}

function describe(cause: unknown, timeoutMs: number, maxBytes: number): string {
  if (!(cause instanceof TransportFault)) return describeFailure(cause, timeoutMs);
  switch (cause.kind) {
    case 'timeout':
      return `timed out after ${timeoutMs} ms`;
    case 'oversize':
      return cause.declaredBytes === undefined
        ? `answered more than ${maxBytes} bytes`
        : `answered ${cause.declaredBytes} bytes, more than ${maxBytes}`;
    case 'closed':
      return 'was not answered before the guard closed';
  }
}

/**
 * An outage naming the endpoint's purpose and host:port (configuration, never a secret: a
 * path or query could carry one, so neither is shown) and what went wrong.
 */
function upstreamFault(req: HttpRequest, what: string, cause?: unknown): UpstreamUnavailableError {
  return new UpstreamUnavailableError({
    message: `${req.purpose} endpoint ${hostOf(req.url)} ${what}`,
    cause,
  });
}

/** `host:port`, the port explicit (the default one of the scheme when the URL has none). */
function hostOf(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/**
 * What a transport error means, from its code (Node's socket codes, undici's `UND_ERR_*`);
 * Node's `fetch` wraps the socket error as its `cause`.
 */
function describeFailure(cause: unknown, timeoutMs: number): string {
  const error = cause as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = error?.code ?? error?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'refused the connection';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'could not be resolved (DNS)';
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
      return 'closed the connection';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `did not accept a connection within ${timeoutMs} ms`;
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return `timed out after ${timeoutMs} ms`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'is unreachable';
    default:
      // Codes are short identifiers (ERR_TLS_CERT_ALTNAME_INVALID, UND_ERR_…), never content.
      return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code)
        ? `failed (${code})`
        : 'failed';
  }
}

/**
 * Parses a JSON object answer; anything else (wrong status handled by the caller, wrong
 * content type, not JSON, not an object) is an upstream fault, never a token verdict.
 */
export function parseJsonObject(response: HttpResponse, purpose: string): Record<string, unknown> {
  const mediaType = response.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/json' && !mediaType.endsWith('+json')) {
    // The content type is not echoed: it is upstream-controlled text (it could carry
    // anything, a token included) and the message reaches logs and diagnostics.
    throw new UpstreamUnavailableError({
      message: `${purpose} endpoint answered a non-JSON content type`,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(response.text);
  } catch {
    // No `cause`: V8's SyntaxError quotes part of the body.
    throw new UpstreamUnavailableError({ message: `${purpose} endpoint answered invalid JSON` });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UpstreamUnavailableError({
      message: `${purpose} endpoint answered JSON that is not an object`,
    });
  }
  return value as Record<string, unknown>;
}

/**
 * The same client with other default bounds for the calls of one endpoint group (the
 * introspection endpoint and its token endpoint: `introspection.http`); a request's own
 * bounds still win. Closing stays with the client's owner.
 */
export function withCallBounds(
  client: HttpClient,
  bounds: { readonly timeoutMs: number; readonly maxResponseBytes: number },
): HttpClient {
  return {
    send: (req) =>
      client.send({
        ...req,
        timeoutMs: req.timeoutMs ?? bounds.timeoutMs,
        maxResponseBytes: req.maxResponseBytes ?? bounds.maxResponseBytes,
      }),
    close: async () => {},
  };
}
