// @ts-check
/**
 * Hono scenario server: on Node through @hono/node-server, on Bun and Deno on their own server
 * (Bun.serve, Deno.serve). BENCH_CONFIG.auth: `none` (baseline), `tokenguard`, `hono-jwt`
 * (Hono's own JWT middleware, the peer) or `handwritten` (lib/handwritten.js).
 */
import { createPublicKey } from 'node:crypto';
import { Hono } from 'hono';
import { announce, listenPort, readConfig } from '../lib/child.js';

const config = readConfig();
const app = new Hono();

/** @type {(c: import('hono').Context) => unknown} */
let subOf = () => 'anonymous';

switch (config.auth) {
  case 'none':
    break;
  case 'tokenguard': {
    const { tokenGuard } = await import('@tokenguard/hono');
    app.use(tokenGuard(config.options));
    subOf = (c) => c.get('auth')?.claims.sub;
    break;
  }
  case 'hono-jwt': {
    // hono/jwt takes one key, not a JWKS URI: the identity server's public key as a JWK.
    const { jwt } = await import('hono/jwt');
    const key = createPublicKey(config.publicKeyPem).export({ format: 'jwk' });
    app.use(jwt({ secret: /** @type {any} */ (key), alg: 'RS256' }));
    subOf = (c) => /** @type {any} */ (c.get('jwtPayload'))?.sub;
    break;
  }
  case 'handwritten': {
    const { handwrittenCheck } = await import('../lib/handwritten.js');
    const check = handwrittenCheck(config);
    /** @type {(c: import('hono').Context, r: any) => Response} */
    const refuse = (c, r) => c.json(r.body, r.status, r.headers);
    app.use((c, next) => {
      let got;
      try {
        got = check(c.req.header('authorization'));
      } catch (r) {
        return refuse(c, r);
      }
      if (!(got instanceof Promise)) {
        c.set('auth', got);
        return next();
      }
      return got.then(
        (claims) => {
          c.set('auth', claims);
          return next();
        },
        (r) => refuse(c, r),
      );
    });
    subOf = (c) => c.get('auth')?.sub;
    break;
  }
  default:
    throw new Error(`unknown auth ${config.auth}`);
}

app.get('/', (c) => c.json({ hello: 'world', sub: subOf(c) }));

/** @type {any} */
const runtime = globalThis;
if (runtime.Bun) {
  const server = runtime.Bun.serve({ fetch: app.fetch, port: listenPort(), hostname: '127.0.0.1' });
  announce(server.port, () => server.stop(true));
} else if (runtime.Deno) {
  const server = runtime.Deno.serve(
    { port: listenPort(), hostname: '127.0.0.1', onListen() {} },
    app.fetch,
  );
  announce(server.addr.port, () => server.shutdown());
} else {
  const { serve } = await import('@hono/node-server');
  const server = serve({ fetch: app.fetch, port: listenPort(), hostname: '127.0.0.1' }, (info) => {
    announce(info.port, () => new Promise((resolve) => server.close(() => resolve())));
  });
}
