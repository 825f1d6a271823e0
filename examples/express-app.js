// An Express API protected by tokenguard. Run: node examples/express-app.js (see README).

import { requireBrand, requireScopes, tokenGuard } from '@tokenguard/express';
import express from 'express';

/** @param {import('@tokenguard/express').GuardOptions} guardOptions */
export function createExpressApp(guardOptions) {
  const app = express();
  const guard = tokenGuard(guardOptions);
  app.use(guard);

  app.get('/profile', (req, res) => {
    res.json({
      sub: req.auth?.claims.sub,
      scopes: req.auth?.scopes,
      brand: req.auth?.claims.brand,
    });
  });
  app.get('/orders', requireScopes('orders:read'), requireBrand('acme'), (req, res) => {
    res.json({ orders: [], for: req.auth?.claims.sub });
  });
  return { app, guard: guard.guard };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = createExpressApp({
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
  const port = Number(process.env.PORT ?? 3001);
  app.listen(port, () => console.log(`express example on http://127.0.0.1:${port}`));
}
