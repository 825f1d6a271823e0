/**
 * Whether this runtime's `node:https` server hands a handler the client's TLS certificate
 * (`socket.getPeerCertificate(true).raw`), found by trying it once on loopback: Node and
 * Deno do; Bun's compatibility layer returns none. The mTLS cases that need it are skipped
 * with this reason where it is missing, never passed.
 */
import { once } from 'node:events';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createTestCertificate } from '@tokenguard/testing';

async function probe(): Promise<string | undefined> {
  const server = createTestCertificate('localhost');
  const client = createTestCertificate('client');
  let seen = false;
  const https = createServer(
    { cert: server.cert, key: server.key, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      seen = ((req.socket as TLSSocket).getPeerCertificate?.(true)?.raw?.length ?? 0) > 0;
      res.end();
    },
  );
  https.listen(0, '127.0.0.1');
  await once(https, 'listening');
  try {
    const { port } = https.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, rejectUnauthorized: false, agent: false, ...client },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', reject).end();
    });
  } finally {
    https.closeAllConnections();
    https.close();
  }
  return seen
    ? undefined
    : "this runtime's node:https server gives getPeerCertificate() no client certificate";
}

/** The reason mTLS-over-TLS cases cannot run here, or `undefined` where they can. */
export const nodeTlsClientCertificateGap: string | undefined = await probe();
