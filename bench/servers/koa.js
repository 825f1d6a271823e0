// @ts-check
/**
 * Koa scenario server. BENCH_CONFIG.auth: `none` (baseline), `tokenguard`, `koa-jwt`
 * (with jwks-rsa's koaJwtSecret, as koa-jwt's README shows) or `handwritten` (lib/handwritten.js).
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
  case 'handwritten': {
    const { handwrittenCheck } = await import('../lib/handwritten.js');
    const check = handwrittenCheck(config);
    /** @type {(ctx: import('koa').Context, r: any) => void} */
    const refuse = (ctx, r) => {
      ctx.status = r.status;
      ctx.set(r.headers);
      ctx.body = r.body;
    };
    app.use((ctx, next) => {
      let got;
      try {
        got = check(ctx.headers.authorization);
      } catch (r) {
        return refuse(ctx, r);
      }
      if (!(got instanceof Promise)) {
        ctx.state.auth = got;
        return next();
      }
      return got.then(
        (claims) => {
          ctx.state.auth = claims;
          return next();
        },
        (r) => refuse(ctx, r),
      );
    });
    subOf = (ctx) => ctx.state.auth.sub;
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
