/**
 * The one way the core talks HTTP: undici over a keep-alive pool, a whole-call deadline,
 * a bounded body and no redirects (undici's `request` never follows them; a 3xx is a fault).
 * Every transport problem becomes an `UpstreamUnavailableError` whose message names the
 * endpoint's purpose — never the token, never a secret.
 */
import { EventEmitter } from 'node:events';
import { Agent, type Dispatcher, request } from 'undici';
import { UpstreamUnavailableError } from '../errors.js';
import { DEFAULTS } from '../options/defaults.js';

export interface HttpClientOptions {
  /** Whole-call deadline in milliseconds (connect, headers and body). */
  readonly timeoutMs: number;
  /** Largest accepted body in bytes. */
  readonly maxResponseBytes: number;
  /** Keep-alive connections per origin. */
  readonly connections?: number;
  /** A caller-supplied dispatcher (proxy, custom TLS); the client then owns no pool. */
  readonly dispatcher?: Dispatcher;
  /** Called after every call with its purpose and whole duration (the upstream latency histogram). */
  readonly onComplete?: (purpose: string, durationMs: number) => void;
}

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly body?: string;
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
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher ??
    new Agent({
      connections: options.connections ?? DEFAULTS.connections,
      keepAliveTimeout: 10_000,
      connect: { timeout: options.timeoutMs },
    });

  async function send(req: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = req.timeoutMs ?? options.timeoutMs;
    // A whole-call deadline (headersTimeout/bodyTimeout only bound inactivity, so a slow drip
    // would pass them): a cleared timer that fires 'abort' on an EventEmitter, which undici
    // takes as `signal` like an AbortSignal. On Node 20 an AbortController (an EventTarget)
    // costs several times more per call, on every introspection miss; AbortSignal.timeout()
    // more still, and its timer lives for the full deadline.
    const signal = new DeadlineSignal();
    const deadline = setTimeout(() => signal.abort(), timeoutMs);
    const started = options.onComplete === undefined ? 0 : performance.now();
    try {
      return await sendWithin(req, timeoutMs, signal);
    } finally {
      clearTimeout(deadline);
      options.onComplete?.(req.purpose, performance.now() - started);
    }
  }

  async function sendWithin(
    req: HttpRequest,
    timeoutMs: number,
    signal: DeadlineSignal,
  ): Promise<HttpResponse> {
    const maxBytes = req.maxResponseBytes ?? options.maxResponseBytes;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (cause) {
      throw upstreamFault(
        req,
        signal.aborted ? `timed out after ${timeoutMs} ms` : describeFailure(cause, timeoutMs),
        cause,
      );
    }
    const { statusCode, headers, body } = response;
    try {
      const declared = Number(headers['content-length']);
      if (declared > maxBytes) {
        throw upstreamFault(req, `answered ${declared} bytes, more than ${maxBytes}`);
      }
      const text = await readBounded(body, maxBytes, () =>
        upstreamFault(req, `answered more than ${maxBytes} bytes`),
      );
      const contentType = headers['content-type'];
      return {
        status: statusCode,
        contentType: (Array.isArray(contentType) ? contentType[0] : contentType) ?? '',
        headers,
        text,
      };
    } catch (cause) {
      // Free the socket: an unread or half-read body would otherwise pin the connection.
      // Destroying emits an abort error nobody else listens for; it must not go unhandled.
      body.on('error', () => {});
      body.destroy();
      if (cause instanceof UpstreamUnavailableError) throw cause;
      throw upstreamFault(
        req,
        signal.aborted ? `timed out after ${timeoutMs} ms` : describeFailure(cause, timeoutMs),
        cause,
      );
    }
  }

  return {
    send,
    async close() {
      if (ownsDispatcher) await dispatcher.destroy();
    },
  };
}

/** The deadline as undici's `signal`: an EventEmitter that emits 'abort' once. */
class DeadlineSignal extends EventEmitter {
  aborted = false;

  abort(): void {
    this.aborted = true;
    this.emit('abort');
  }
}

/**
 * The body as text, refused (`tooLarge()` thrown) past `maxBytes`. Listeners rather than an
 * async iterator: one promise per body instead of one per chunk.
 */
function readBounded(
  body: Dispatcher.ResponseData['body'],
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        body.removeAllListeners('data');
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(Buffer.concat(chunks, received).toString('utf8')));
    body.once('error', reject);
  });
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

/** What a transport error means, from its code (Node's socket codes, undici's `UND_ERR_*`). */
function describeFailure(cause: unknown, timeoutMs: number): string {
  const code = (cause as { code?: unknown } | null)?.code;
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
