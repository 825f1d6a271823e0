/**
 * Module augmentation: `c.get('auth')` / `c.var.auth` is typed for every Hono app that
 * installs the adapter (Hono's global `ContextVariableMap`). `TokenGuardEnv` types an app
 * explicitly: `new Hono<TokenGuardEnv>()`.
 */
import type { AuthContext } from '@tokenguard/core';

/**
 * The context variables `requestProperty` may name: `auth` unless you add one (and the
 * same name on `ContextVariableMap`; see the README).
 */
export interface TokenGuardVariables {
  /**
   * The validated token, set by `tokenGuard()`. `undefined` on an optional route for a
   * request that carried no token.
   */
  auth?: AuthContext;
}
export type VariableName = keyof TokenGuardVariables & string;

/** An app `Env` carrying the auth variable. */
export type TokenGuardEnv = { Variables: TokenGuardVariables };

declare module 'hono' {
  interface ContextVariableMap extends TokenGuardVariables {}
}
