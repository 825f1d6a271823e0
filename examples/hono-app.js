// A Hono API protected by tokenguard, on Node. Run: node examples/hono-app.js (see README).
import { createAdaptorServer } from '@hono/node-server';
import { requireBrand, requireScopes, tokenGuard } from '@tokenguard/hono';
import { Hono } from 'hono';

/** @param {import('@tokenguard/hono').GuardOptions} guardOptions */
export function createHonoApp(guardOptions) {
  const hono = new Hono();
  const guard = tokenGuard(guardOptions);
  hono.use(guard);

  hono.get('/profile', (c) => {
    const auth = c.get('auth');
    return c.json({ sub: auth?.claims.sub, scopes: auth?.scopes, brand: auth?.claims.brand });
  });
  hono.get('/orders', requireScopes('orders:read'), requireBrand('acme'), (c) =>
    c.json({ orders: [], for: c.get('auth')?.claims.sub }),
  );
  // `listen` like the other examples: a Node server running the Hono app.
  const app = { listen: (...args) => createAdaptorServer({ fetch: hono.fetch }).listen(...args) };
  return { app, guard: guard.guard };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = createHonoApp({
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
  const port = Number(process.env.PORT ?? 3004);
  app.listen(port, () => console.log(`hono example on http://127.0.0.1:${port}`));
}
