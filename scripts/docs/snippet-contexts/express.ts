// What a partial Express snippet may use without declaring it: an app, the adapter's exports,
// the options and credentials the surrounding text talks about, and the app's own functions.
declare const app: import('express').Express;
declare const express: typeof import('express');
declare const tokenGuard: typeof import('@tokenguard/express').tokenGuard;
declare const requireScopes: typeof import('@tokenguard/express').requireScopes;
declare const requireAnyScope: typeof import('@tokenguard/express').requireAnyScope;
declare const requireBrand: typeof import('@tokenguard/express').requireBrand;
declare const requireClaims: typeof import('@tokenguard/express').requireClaims;
declare const requireAuthContext: typeof import('@tokenguard/express').requireAuthContext;
declare const requireDpop: typeof import('@tokenguard/express').requireDpop;
declare const sharedSignalsReceiver: typeof import('@tokenguard/express').sharedSignalsReceiver;
declare const options: import('@tokenguard/express').GuardOptions;
declare const auth: import('@tokenguard/express').TokenGuardMiddleware;
declare const middleware: import('@tokenguard/express').TokenGuardMiddleware;
declare const guard: import('@tokenguard/core').TokenGuard;
declare const clientAuth: import('@tokenguard/core').ClientAuthentication;
declare const clientId: string;
declare const clientSecret: string;
declare const issuer: string;
declare const introspection: import('@tokenguard/core').IntrospectionOptions;
declare const resource: string;
declare const idp: import('@tokenguard/testing').IdentityServer;
declare const base: string;
declare const pay: import('express').RequestHandler;
declare function ordersOf(brand: unknown): unknown[];
declare const identityService: { revoke(token: string): Promise<void> };
