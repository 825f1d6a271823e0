// @ts-check
/**
 * The server of bench/dpop.js: Express with tokenguard, local JWTs, DPoP allowed. Gets the
 * issuer over IPC, answers its port, and its CPU time on request ('cpu').
 */
import { createServer } from 'node:http';
import { tokenGuard } from '@tokenguard/express';
import express from 'express';

process.once('message', (/** @type {any} */ config) => {
  const app = express();
  app.use(
    tokenGuard({
      jwt: { issuer: config.issuer, audience: 'api', jwksUri: config.jwksUri },
      allowInsecureHttp: true,
      dpop: 'allowed',
    }),
  );
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  const server = createServer(app);
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
  });
  process.on('message', (message) => {
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.(user + system);
    }
  });
});
