/** The interop suite against oidc-provider, for Koa 3. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tokenGuard } from '@tokenguard/koa';
import Koa from 'koa';
import { type InteropHarness, runInteropSuite, summarizeAuth } from './run-interop-suite.js';
import { runMultiIssuerInterop } from './run-multi-issuer-interop.js';

const koaHarness: InteropHarness = {
  name: 'Koa 3',
  async start(options) {
    const app = new Koa();
    const guard = tokenGuard(options);
    app.use(guard);
    app.use((ctx) => {
      if (ctx.method === 'GET' && ctx.path === '/whoami') ctx.body = summarizeAuth(ctx.state.auth);
    });
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      async close() {
        const closed = new Promise((resolve) => server.close(resolve));
        server.closeAllConnections();
        await closed;
        await guard.guard.close();
      },
    };
  },
};

runInteropSuite(koaHarness);
runMultiIssuerInterop(koaHarness);
