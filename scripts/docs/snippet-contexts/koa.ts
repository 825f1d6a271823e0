// What a partial Koa snippet may use without declaring it.
declare const app: import('koa');
declare const router: import('@koa/router').Router;
declare const tokenGuard: typeof import('@tokenguard/koa').tokenGuard;
declare const auth: ReturnType<typeof import('@tokenguard/koa').tokenGuard>;
