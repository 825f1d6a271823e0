// A Fastify API protected by tokenguard. Run: node examples/fastify-app.js (see README).
import { tokenGuard } from '@tokenguard/fastify';
import Fastify from 'fastify';

/** @param {import('@tokenguard/fastify').GuardOptions} guardOptions */
export async function createFastifyApp(guardOptions) {
  const app = Fastify();
  await app.register(tokenGuard, guardOptions);

  app.get('/profile', async (request) => ({
    sub: request.auth?.claims.sub,
    scopes: request.auth?.scopes,
    brand: request.auth?.claims.brand,
  }));
  app.get(
    '/orders',
    { config: { tokenguard: { scopes: ['orders:read'], brand: 'acme' } } },
    async (request) => ({ orders: [], for: request.auth?.claims.sub }),
  );
  return { app, guard: app.tokenGuard };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { app } = await createFastifyApp({
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
  const port = Number(process.env.PORT ?? 3003);
  await app.listen({ port, host: '127.0.0.1' });
  console.log(`fastify example on http://127.0.0.1:${port}`);
}
