import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createIdentityServer } from '@tokenguard/testing';
import { it } from 'vitest';
import { Agent, request } from '../../packages/core/node_modules/undici/index.js';

it('profile', async () => {
  const idp = await createIdentityServer();
  const agent = new Agent({ connections: 64 });
  const go = async (url: string, n: number, body?: string) => {
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      const r = await request(url, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          authorization: `Bearer ${idp.callerToken}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: body ?? `token=${randomBytes(20).toString('base64url')}`,
      });
      await r.body.text();
    }
    return ((performance.now() - t) / n).toFixed(3);
  };
  console.log('idp', await go(idp.introspectionEndpoint, 300));
  const plain = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('{"active":false}'));
  });
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
  const port = (plain.address() as { port: number }).port;
  console.log('plain', await go(`http://127.0.0.1:${port}/`, 300));
  console.log('idp again', await go(idp.introspectionEndpoint, 300));
  await agent.close();
  plain.close();
  await idp.close();
}, 120000);
