/** The interop suite against oidc-provider, for Hono on Node. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { tokenGuard } from '@tokenguard/hono';
import { Hono } from 'hono';
import { type InteropHarness, runInteropSuite, summarizeAuth } from './run-interop-suite.js';
import { runMultiIssuerInterop } from './run-multi-issuer-interop.js';

const honoHarness: InteropHarness = {
  name: 'Hono 4',
  async start(options) {
    const app = new Hono();
    const guard = tokenGuard(options);
    app.use(guard);
    app.get('/whoami', (c) => c.json(summarizeAuth(c.get('auth'))));
    const server = createAdaptorServer({ fetch: app.fetch }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      async close() {
        const closed = new Promise((resolve) => server.close(resolve));
        if ('closeAllConnections' in server) server.closeAllConnections();
        await closed;
        await guard.close();
      },
    };
  },
};

runInteropSuite(honoHarness);
runMultiIssuerInterop(honoHarness);
