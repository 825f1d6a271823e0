/**
 * Declaration merging: Koa's default state carries the validated identity as
 * `ctx.state.auth`. Imported by `index.ts`, so installing the adapter is enough.
 */
import type { AuthContext } from '@tokenguard/core';

declare module 'koa' {
  interface DefaultState {
    /**
     * The validated token, set by `tokenGuard()`. `undefined` only on an optional guard
     * and a request that carried no token.
     */
    auth?: AuthContext;
  }
}
