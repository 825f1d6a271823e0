/**
 * The seam under the HTTP client: one exchange in, status, headers and a bounded body out.
 * Two implementations keep the same rules (whole-call deadline, body bound, no redirects):
 * undici's keep-alive pool where it exists, and the runtime's `fetch` where it does not
 * (Bun ships an `undici` module whose `Agent` cannot dispatch) or where the caller gives one.
 * Which one runs is decided by what undici can do, never by naming the runtime.
 */
import { Agent } from 'undici';
import { createFetchTransport } from './fetch-transport.js';
import { createUndiciTransport, type UndiciTransportOptions } from './undici-transport.js';

export interface TransportRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface TransportResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly text: string;
}

export interface HttpTransport {
  /**
   * One exchange, ended after `timeoutMs` whatever stage it is in. Throws a `TransportFault`
   * for a deadline or an oversize body, else the runtime's own error (mapped by the client).
   */
  send(req: TransportRequest, timeoutMs: number, maxBytes: number): Promise<TransportResponse>;
  /** Ends calls in flight and closes what the transport owns. */
  close(): Promise<void>;
}

/** What a transport reports besides the runtime's own errors. */
export class TransportFault extends Error {
  constructor(
    readonly kind: 'timeout' | 'oversize' | 'closed',
    /** For `oversize`: the declared length, when the answer announced one. */
    readonly declaredBytes?: number,
    options?: { cause?: unknown },
  ) {
    super(kind, options);
  }
}

export interface TransportChoice extends UndiciTransportOptions {
  /** A caller-supplied `fetch`: the fetch transport runs on it, and owns no pool. */
  readonly fetch?: typeof fetch;
}

/**
 * Undici's pool when it can dispatch (Node, Deno's npm compatibility), else the runtime's
 * `fetch`. A caller's `fetch` always wins; a caller's own `dispatcher` means undici.
 */
export function createHttpTransport(choice: TransportChoice): HttpTransport {
  if (choice.fetch !== undefined) return createFetchTransport(choice.fetch);
  if (canDispatch() || (choice.dispatcher !== undefined && choice.dispatcher !== 'global')) {
    return createUndiciTransport(choice);
  }
  return createFetchTransport(globalThis.fetch.bind(globalThis));
}

/** Whether undici's `Agent` is a real pool (it dispatches and can be destroyed). */
function canDispatch(): boolean {
  const proto = (Agent as unknown as { prototype?: Record<string, unknown> } | undefined)
    ?.prototype;
  return typeof proto?.dispatch === 'function' && typeof proto.destroy === 'function';
}

/** The declared `Content-Length` refused before any byte is read, when it is past the bound. */
export function checkDeclaredLength(value: string | null | undefined, maxBytes: number): void {
  const declared = Number(value);
  if (declared > maxBytes) throw new TransportFault('oversize', declared);
}
