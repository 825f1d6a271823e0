// @ts-check
/**
 * Koa scenario server. BENCH_CONFIG.auth: `none` (baseline), `tokenguard` or `koa-jwt`
 * (with jwks-rsa's koaJwtSecret, as koa-jwt's README shows).
 */
import Koa from 'koa';
import { announce, listenPort, readConfig } from '../lib/child.js';

const config = readConfig();
const app = new Koa();

/** @type {(ctx: import('koa').Context) => unknown} */
let subOf = () => 'anonymous';

switch (config.auth) {
  case 'none':
    break;
  case 'tokenguard': {
    const { tokenGuard } = await import('@tokenguard/koa');
    app.use(tokenGuard(config.options));
    subOf = (ctx) => ctx.state.auth?.claims.sub;
    break;
  }
  case 'koa-jwt': {
    const { default: jwt } = await import('koa-jwt');
    const { default: jwksRsa } = await import('jwks-rsa');
    app.use(
      jwt({
        secret: /** @type {any} */ (
          jwksRsa.koaJwtSecret({ jwksUri: config.jwksUri, cache: true, rateLimit: true })
        ),
        audience: 'api',
        issuer: config.issuer,
        algorithms: ['RS256'],
      }),
    );
    subOf = (ctx) => ctx.state.user.sub;
    break;
  }
  default:
    throw new Error(`unknown auth ${config.auth}`);
}

app.use((ctx) => {
  if (ctx.method === 'GET' && ctx.path === '/') ctx.body = { hello: 'world', sub: subOf(ctx) };
});

const server = app.listen(listenPort(), '127.0.0.1', () => {
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  announce(address.port, () => new Promise((resolve) => server.close(() => resolve())));
});
