/**
 * The seam under the HTTP client: one exchange in, status, headers and a bounded body out.
 * Two implementations keep the same rules (whole-call deadline, body bound, no redirects):
 * undici's keep-alive pool where it exists, and the runtime's `fetch` where it does not
 * (Bun ships an `undici` module whose `Agent` cannot dispatch) or where the caller gives one.
 * Which one runs is decided by what undici can do, never by naming the runtime.
 */
import { Agent } from 'undici';
import { createFetchTransport } from './fetch-transport.js';
import type { HttpTransport } from './transport-fault.js';
import { createUndiciTransport, type UndiciTransportOptions } from './undici-transport.js';

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
