/**
 * The Shared Signals receiver as a route every adapter mounts in a line or two: options
 * checked once (the guard included), then per request the method, headers and raw body in,
 * an `Answer` out, written with the adapter's usual one-line write.
 */
import { TokenGuardConfigError } from '../errors.js';
import type { TokenGuard } from '../guard-types.js';
import {
  createSharedSignalsReceiver,
  type SharedSignalsReceiverOptions,
} from '../shared-signals/create-shared-signals-receiver.js';
import type { HeaderBag } from '../types.js';
import type { Answer } from './answer.js';
import { isGuard } from './is-guard.js';

/** Options of each adapter's `sharedSignalsReceiver()`. */
export interface SharedSignalsRouteOptions extends SharedSignalsReceiverOptions {
  /**
   * The guard whose cached verdicts the events evict (on every instance sharing its store):
   * a guard, or `tokenGuard()`'s middleware, which carries one.
   */
  readonly guard: TokenGuard | { readonly guard: TokenGuard };
}

export interface SharedSignalsEndpoint {
  /**
   * `parsedBody`: what a body parser left (a string or bytes are used as is); otherwise the
   * unread request `stream` is read, up to `maxBodyBytes`.
   */
  handle(
    method: string,
    headers: HeaderBag,
    parsedBody: unknown,
    stream: AsyncIterable<Uint8Array | string> | undefined,
  ): Promise<Answer>;
}

export function createSharedSignalsEndpoint(
  options: SharedSignalsRouteOptions,
): SharedSignalsEndpoint {
  if (typeof options !== 'object' || options === null) {
    throw new TokenGuardConfigError('sharedSignalsReceiver', 'must be an object');
  }
  const { guard: given, ...receiverOptions } = options;
  const guard = isGuard(given) ? given : (given as { guard?: unknown } | undefined)?.guard;
  if (!isGuard(guard)) {
    throw new TokenGuardConfigError(
      'sharedSignalsReceiver.guard',
      "is required: the guard (or tokenGuard()'s middleware) whose cache the events evict",
    );
  }
  const receiver = createSharedSignalsReceiver(guard, receiverOptions);
  return {
    async handle(method, headers, parsedBody, stream) {
      const body =
        typeof parsedBody === 'string' || parsedBody instanceof Uint8Array ? parsedBody : stream;
      const answer = await receiver.handle({ method, headers, body });
      return { status: answer.status, headers: { ...answer.headers }, body: answer.body ?? '' };
    },
  };
}
