/**
 * The MCP example (examples/mcp-server.js) end to end: a client holding only the endpoint's
 * URL and its client credentials finds the authorization server from the first 401 (RFC 9728
 * §5.1), gets a token there and calls the JSON-RPC endpoint.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createIdentityServer, type IdentityServer } from '@tokenguard/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error the example is plain JavaScript without declarations
import { createMcpApp, discoverAndCall } from '../../examples/mcp-server.js';

describe('example: MCP-style endpoint discovered through RFC 9728', () => {
  let idp: IdentityServer;
  let server: Server;
  let base: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    idp = await createIdentityServer();
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { app, guard } = createMcpApp({
      resource: `${base}/mcp`,
      issuer: idp.issuer,
      introspection: {
        endpoint: idp.introspectionEndpoint,
        clientAuth: { method: 'bearer', token: idp.callerToken },
      },
    });
    server.on('request', app);
    close = () => guard.close();
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await close();
    await idp.close();
  });

  it('RFC 9728 §5.1: 401 → metadata → authorization server → token → 200 JSON-RPC result', async () => {
    const result = await discoverAndCall(`${base}/mcp`, idp.defaultClient);
    expect(result.challenge).toBe(
      `Bearer realm="api", resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`,
    );
    expect(result.metadata).toMatchObject({
      resource: `${base}/mcp`,
      authorization_servers: [idp.issuer],
      scopes_supported: ['mcp:tools'],
    });
    expect(result.authorizationServer).toBe(idp.issuer);
    expect(result.status).toBe(200);
    expect(result.body.result.tools[0].name).toBe('echo');
  });
});
