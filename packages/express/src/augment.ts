/**
 * Declaration merging: every Express request carries the validated identity as `req.auth`.
 * Imported by `index.ts`, so installing the adapter is enough to get the type.
 */
import type { AuthContext } from '@tokenguard/core';

declare global {
  namespace Express {
    interface Request {
      /**
       * The validated token, set by `tokenGuard()`. `undefined` only on an optional guard
       * and a request that carried no token.
       */
      auth?: AuthContext;
    }
  }
}
