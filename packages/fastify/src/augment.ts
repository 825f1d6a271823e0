/**
 * Module augmentation: `request.auth`, `fastify.tokenGuard` and the per-route
 * `config.tokenguard` requirements are typed for every Fastify app that installs the plugin.
 */
import type { AuthContext, Requirements, TokenGuard } from '@tokenguard/core';

/**
 * The request properties `requestProperty` may name: `auth` unless you add one (and the
 * same name on `FastifyRequest`; see the README).
 */
export interface TokenGuardRequestProperties {
  auth: true;
}
export type RequestProperty = keyof TokenGuardRequestProperties & string;

/** Per-route requirements, set as `{ config: { tokenguard: { … } } }` in route options. */
export interface TokenGuardRouteConfig extends Requirements {
  /**
   * This route also accepts requests without a token (`request.auth` stays `undefined`);
   * a request with a bad token is still refused. Default `false`.
   */
  readonly optional?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The validated token, set by the tokenguard plugin. `undefined` on routes the plugin
     * does not cover, and on optional routes for requests that carried no token.
     */
    auth?: AuthContext;
  }

  interface FastifyInstance {
    /** The guard of the nearest registered tokenguard plugin: metrics, `verify`, `close`. */
    tokenGuard: TokenGuard;
  }

  interface FastifyContextConfig {
    /**
     * Requirements of this route, checked after the guard-wide ones; `false` leaves the route
     * unguarded inside a guarded scope (a readiness probe, a webhook with its own checks).
     */
    tokenguard?: TokenGuardRouteConfig | false;
  }
}
