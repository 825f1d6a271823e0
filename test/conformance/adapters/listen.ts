import { once } from 'node:events';
import type { Server } from 'node:http';
import { Server as HttpsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** Starts `server` on a free loopback port; returns its base URL and a full close. */
export async function listen(
  server: Server | TlsServer,
): Promise<{ url: string; close: () => Promise<void> }> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    // instanceof, not a TLS-only method: Bun's https.Server lacks `setSecureContext`.
    url: `${server instanceof HttpsServer ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: async () => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    },
  };
}
