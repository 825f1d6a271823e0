/**
 * The transport on undici: a keep-alive pool per origin, a whole-call deadline, a bounded
 * body and no redirects (undici's `request` never follows them; the client sees the 3xx).
 */
import { EventEmitter } from 'node:events';
import { Agent, type Dispatcher, getGlobalDispatcher, request } from 'undici';
import {
  checkDeclaredLength,
  type HttpTransport,
  TransportFault,
  type TransportRequest,
  type TransportResponse,
} from './transport-fault.js';

export interface UndiciTransportOptions {
  /**
   * Keep-alive connections per origin. The guard always passes its setting (from the
   * defaults file); left out (tools, tests), undici's own default applies.
   */
  readonly connections?: number;
  /** Deadline of the TCP/TLS connect, in ms. */
  readonly connectTimeoutMs?: number;
  /**
   * A caller-supplied dispatcher (proxy, custom TLS), or `'global'` for undici's global one;
   * the transport then owns no pool.
   */
  readonly dispatcher?: Dispatcher | 'global';
}

export function createUndiciTransport(options: UndiciTransportOptions): HttpTransport {
  const ownsDispatcher = options.dispatcher === undefined;
  const dispatcher =
    options.dispatcher === 'global'
      ? getGlobalDispatcher()
      : (options.dispatcher ??
        new Agent({
          connections: options.connections,
          keepAliveTimeout: 10_000,
          connect: { timeout: options.connectTimeoutMs },
        }));

  async function send(
    req: TransportRequest,
    timeoutMs: number,
    maxBytes: number,
  ): Promise<TransportResponse> {
    // A whole-call deadline (headersTimeout/bodyTimeout only bound inactivity, so a slow drip
    // would pass them): a cleared timer that fires 'abort' on an EventEmitter, which undici
    // takes as `signal` like an AbortSignal. On Node 20 an AbortController (an EventTarget)
    // costs several times more per call, on every introspection miss; AbortSignal.timeout()
    // more still, and its timer lives for the full deadline.
    const signal = new DeadlineSignal();
    const deadline = setTimeout(() => signal.abort(), timeoutMs);
    try {
      return await sendWithin(req, timeoutMs, maxBytes, signal);
    } catch (cause) {
      if (signal.aborted && !(cause instanceof TransportFault)) {
        throw new TransportFault('timeout', undefined, { cause });
      }
      throw cause;
    } finally {
      clearTimeout(deadline);
    }
  }

  async function sendWithin(
    req: TransportRequest,
    timeoutMs: number,
    maxBytes: number,
    signal: DeadlineSignal,
  ): Promise<TransportResponse> {
    const { statusCode, headers, body } = await request(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      dispatcher,
      signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    try {
      checkDeclaredLength(headers['content-length'] as string | undefined, maxBytes);
      const text = await readBounded(body, maxBytes);
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
      throw cause;
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
 * The body as text, refused past `maxBytes`. Listeners rather than an async iterator: one
 * promise per body instead of one per chunk.
 */
function readBounded(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBytes) {
        body.removeAllListeners('data');
        reject(new TransportFault('oversize'));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(Buffer.concat(chunks, received).toString('utf8')));
    body.once('error', reject);
  });
}
