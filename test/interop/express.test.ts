/** The interop suite against oidc-provider, for Express 5. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { tokenGuard } from '@tokenguard/express';
import express from 'express';
import { type InteropHarness, runInteropSuite, summarizeAuth } from './run-interop-suite.js';
import { runMultiIssuerInterop } from './run-multi-issuer-interop.js';

const expressHarness: InteropHarness = {
  name: 'Express 5',
  async start(options) {
    const app = express();
    const guard = tokenGuard(options);
    app.use(guard);
    app.get('/whoami', (req, res) => {
      res.json(summarizeAuth(req.auth));
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

runInteropSuite(expressHarness);
runMultiIssuerInterop(expressHarness);
