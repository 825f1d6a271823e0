/**
 * The adapters' way into a guard built by `createGuard`: `authenticate` minus the promise.
 * A cached verdict comes back as a value (or a synchronous throw), so the hit path allocates
 * no promise; a miss returns a promise as before. `guard.authenticate` stays promise-only for
 * applications; the adapter kit uses this when the guard has it.
 */
import type { CallContext } from '../guard-types.js';
import type { AuthContext, RequestLike } from '../types.js';

/** A value now, or a promise of it. */
export type Pending<T> = T | Promise<T>;

/** What the adapters get back: the auth context on a cached verdict, a promise on a miss. */
export type AuthResult = Pending<AuthContext | undefined>;

export type AuthenticateNow = (request: RequestLike, context?: CallContext) => AuthResult;

export const kAuthenticateNow: unique symbol = Symbol('tokenguard.authenticateNow');
