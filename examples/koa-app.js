// A Koa API protected by tokenguard. Run: node examples/koa-app.js (see README).
import Router from '@koa/router';
import { requireBrand, requireScopes, tokenGuard } from '@tokenguard/koa';
import Koa from 'koa';

/** @param {import('@tokenguard/koa').GuardOptions} guardOptions */
export function createKoaApp(guardOptions) {
  const app = new Koa();
  const router = new Router();
  const guard = tokenGuard(guardOptions);
  app.use(guard);

  router.get('/profile', (ctx) => {
    const auth = ctx.state.auth;
    ctx.body = { sub: auth?.claims.sub, scopes: auth?.scopes, brand: auth?.claims.brand };
  });
  router.get('/orders', requireScopes('orders:read'), requireBrand('acme'), (ctx) => {
    ctx.body = { orders: [], for: ctx.state.auth?.claims.sub };
  });
  app.use(router.routes());
  return { app, guard: guard.guard };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = createKoaApp({
    issuer: process.env.ISSUER ?? 'http://127.0.0.1:4000',
    introspection: {
      clientAuth: {
        method: 'client_credentials',
        clientId: process.env.CLIENT_ID ?? 'resource-server',
        clientSecret: process.env.CLIENT_SECRET ?? '',
      },
    },
    allowInsecureHttp: true,
  });
  const port = Number(process.env.PORT ?? 3002);
  app.listen(port, () => console.log(`koa example on http://127.0.0.1:${port}`));
}
