/** The interop suite against oidc-provider, for Fastify 5. */
import { tokenGuard } from '@tokenguard/fastify';
import Fastify from 'fastify';
import { type InteropHarness, runInteropSuite, summarizeAuth } from './run-interop-suite.js';
import { runMultiIssuerInterop } from './run-multi-issuer-interop.js';

const fastifyHarness: InteropHarness = {
  name: 'Fastify 5',
  async start(options) {
    const app = Fastify();
    // The plugin closes the guard it built when the app closes.
    await app.register(tokenGuard, options);
    app.get('/whoami', async (request) => summarizeAuth(request.auth));
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    return {
      url,
      close: () => app.close(),
    };
  },
};

runInteropSuite(fastifyHarness);
runMultiIssuerInterop(fastifyHarness);
