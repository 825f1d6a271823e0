/**
 * The transport on a WHATWG `fetch` (the runtime's, or one the caller supplies): the same
 * whole-call deadline, body bound and no-redirect rule as the undici transport. The pool
 * belongs to the runtime (or to the caller's fetch), so `close()` ends the calls in flight
 * and leaves idle connections to their owner.
 */
import {
  checkDeclaredLength,
  type HttpTransport,
  TransportFault,
  type TransportRequest,
  type TransportResponse,
} from './transport-fault.js';

export function createFetchTransport(fetchFn: typeof fetch): HttpTransport {
  const inFlight = new Set<AbortController>();
  let closed = false;

  async function send(
    req: TransportRequest,
    timeoutMs: number,
    maxBytes: number,
  ): Promise<TransportResponse> {
    if (closed) throw new TransportFault('closed');
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(new TransportFault('timeout')), timeoutMs);
    inFlight.add(controller);
    try {
      const response = await fetchFn(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        // A 3xx is answered as it is (the client refuses it): following it would send our
        // credentials, or trust a document, somewhere nobody configured.
        redirect: 'manual',
        signal: controller.signal,
      });
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        headers[name] = value;
      });
      try {
        checkDeclaredLength(headers['content-length'], maxBytes);
        const text = await readBounded(response.body, maxBytes);
        return {
          status: response.status,
          contentType: headers['content-type'] ?? '',
          headers,
          text,
        };
      } catch (cause) {
        // Drop the connection: an unread or half-read body would otherwise pin it.
        controller.abort(cause);
        throw cause;
      }
    } catch (cause) {
      // An aborted fetch rejects with the abort's reason: the deadline's or close()'s fault.
      if (controller.signal.aborted && controller.signal.reason instanceof TransportFault) {
        throw controller.signal.reason;
      }
      throw cause;
    } finally {
      clearTimeout(deadline);
      inFlight.delete(controller);
    }
  }

  return {
    send,
    async close() {
      closed = true;
      for (const controller of inFlight) controller.abort(new TransportFault('closed'));
    },
  };
}

/** The body as UTF-8 text, refused (and the stream cancelled) past `maxBytes`. */
async function readBounded(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<string> {
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      reader.cancel().catch(() => {});
      throw new TransportFault('oversize');
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(whole);
}
