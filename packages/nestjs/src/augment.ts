/**
 * Declaration merging: on Nest's Express platform the request is Express's, so
 * `@Req() req: Request` carries the validated identity as `req.auth` (the same object
 * `@Auth()` gives); on its Fastify platform, `@Req() request: FastifyRequest` carries it as
 * `request.auth`. Imported by `index.ts`, so installing the adapter is enough.
 */
import type { AuthContext } from '@tokenguard/core';

/**
 * The request properties `requestProperty` may name: `auth` unless you add one (and the
 * same name on `Express.Request`; see the README).
 */
export interface TokenGuardRequestProperties {
  auth: true;
}
export type RequestProperty = keyof TokenGuardRequestProperties & string;

declare global {
  namespace Express {
    interface Request {
      /**
       * The validated token, set by the global guard. `undefined` on a `@Public()` route and
       * on an `@OptionalAuth()` route reached without a token.
       */
      auth?: AuthContext;
    }
  }
}

// `fastify` is an optional peer: present wherever an app names `FastifyRequest`.
declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The validated token, set by the global guard. `undefined` on a `@Public()` route and
     * on an `@OptionalAuth()` route reached without a token.
     */
    auth?: AuthContext;
  }
}
